"""The pure session core: triage, pain checks and the routine, as a generator of actions.

`run_session` yields `Say`, `Ask` and `Timed` actions and receives a `Heard` for each `Ask`.
It never prints, sleeps or touches audio, so tests drive it with scripted answers.
"""

from __future__ import annotations

import json
from collections.abc import Generator

from voicecoach.content.model import Answer, Exercise, Routine, Triage
from voicecoach.session.actions import Ask, Heard, Outcome, Record, Say, Timed, Watch
from voicecoach.session.adapt import adapt_routine
from voicecoach.session.asking import SessionStopped, ask_pain, ask_yes_no
from voicecoach.session.exercising import exercise_steps
from voicecoach.session.memory import SafetyMemory, ask_clearance, needs_clearance
from voicecoach.session.pain import PAIN_QUESTION, pain_advice, rose, severe_start
from voicecoach.session.progress import went_well
from voicecoach.session.screening import screen
from voicecoach.session.symptoms import NONE_FOUND, SymptomReported, symptom_check
from voicecoach.session.words import number_words, spoken_list

SCREENING_DAYS = 14  # the other groups are asked again when the last full screening is this old


CHANGED_QUESTION = (
    "Has anything changed with your back, your hips or your health since your last full "
    "safety check?"
)


PROGRESS_QUESTION = (
    "You have now finished this routine several times in a row without more pain. The "
    "guidance allows building up slowly, with more sets or longer holds. Would you like a "
    "little more next time?"
)


COMMANDS_HINT = (
    "While we exercise I keep listening. Say stop, pause, repeat, skip, or it hurts, at any "
    "time. If you notice numbness, or trouble with your bladder or bowels, say so at once. "
    "Say help to hear everything you can say."
)


Script = Generator[Say | Ask | Timed | Watch | Record, Heard | None, Outcome]


def run_session(
    triage: Triage,
    routine: Routine,
    exercises: dict[str, Exercise] | None = None,
    full_screening_due: bool = True,
    brief: bool = False,
    offer_progress: bool = False,
    confirm_ratings: bool = False,
    memory: SafetyMemory | None = None,
    gentle: Routine | None = None,
) -> Script:
    """A whole session: welcome, limits, triage, pain check, routine, pain check, close.

    Flags remembered from earlier sessions (`memory`) come first: each that needs a clinician's
    check is asked about, and stays in force unless the person confirms it has been checked.
    When a full screening is not due (one was done in the last SCREENING_DAYS days), only the
    every-session groups are asked, unless the person says something has changed; lifetime
    questions cleared before are asked again only then. With `confirm_ratings` (spoken
    answers), each pain rating is read back and confirmed. `gentle` is the routine offered
    instead when the starting pain is severe.
    """
    outcome = Outcome(ended="finished")
    exercises = exercises or {s.exercise.id: s.exercise for s in routine.steps}
    memory = memory or SafetyMemory()
    try:
        yield Say(triage.welcome)
        yield Say(triage.limits)
        cleared_now: set[str] = set()
        for flag in memory.in_force:
            if needs_clearance(flag) and (yield from ask_clearance(triage, flag)):
                cleared_now.add(flag.id)
        kept = tuple(f for f in memory.in_force if f.id not in cleared_now)
        lifetime = {q.id for q in triage.questions if q.lifetime}
        skip_now = frozenset(cleared_now & lifetime)  # just checked: not asked again today
        skip_before = frozenset(memory.cleared & lifetime) - {f.id for f in kept}
        full = full_screening_due or bool(cleared_now) or any(not f.in_force_now for f in kept)
        skip = skip_now | skip_before
        if not full or skip_before:
            changed = yield from ask_yes_no(CHANGED_QUESTION)
            if changed is not Answer.NO:  # a change, or an unclear answer: ask everything
                full, skip = True, skip_now
            elif not full:
                yield Say("Then I will ask only the questions that matter every time.")
        if any(f.action == "modify" and f.in_force_now for f in kept):
            yield Say("I am keeping the changes to your routine that fit what you told me "
                      "before.")
        screening = yield from screen(triage, triage.questions_for(full), SafetyMemory(kept),
                                      skip)
        outcome.flags = screening.flags + screening.rules
        ends = bool(screening.action) and triage.actions[screening.action].ends_session
        yield Record("screening", "triage", screening.action, json.dumps(
            {"flags": outcome.flags, "unclear": screening.unclear, "full": full and not ends}))
        max_level = ""
        if screening.action and screening.action not in ("modify", "none"):
            action = triage.actions[screening.action]
            outcome.action = action.id
            if any(r.explain and r.id in screening.rules for r in triage.rules):
                yield Say(triage.investigation_rule)
            yield Say(action.advice)
            if action.ends_session:
                outcome.ended = "out_of_scope" if action.id == "out_of_scope" else "red_flag"
                yield Say("The session ends here, with no exercises. Take care.")
                return outcome
            max_level = "beginner"  # a doctor-soon answer allows the gentle beginner moves
        by_id = {q.id: q for q in triage.questions}
        changes = [by_id[f] for f in screening.flags if by_id[f].action == "modify"]
        for question in changes:
            if question.advice:
                yield Say(question.advice)
        routine, left_out, added = adapt_routine(routine, exercises, changes, max_level)
        yield Say("Thank you. The safety questions are done.")
        if left_out:
            yield Say("Today's routine leaves out " + spoken_list("exercise", left_out))
        if added:
            yield Say("It adds " + spoken_list("exercise", added))
        if not routine.steps:
            outcome.ended = "nothing_suitable"
            yield Say(
                "None of this routine's exercises suit your answers today. Please ask a doctor "
                "or physiotherapist which exercises are right for you. Goodbye."
            )
            return outcome
        outcome.pain_before = yield from ask_pain(PAIN_QUESTION, confirm_ratings)
        if outcome.pain_before is not None:
            yield Record("pain", "before", str(outcome.pain_before))
        offered = gentle is not None and gentle.id != routine.id
        choice = yield from severe_start(outcome.pain_before, offered)
        if choice == "gentle" and gentle is not None:
            routine = adapt_routine(gentle, exercises, changes, max_level)[0]
        if choice == "rest" or not routine.steps:
            outcome.ended = "rested"
            yield Say("All right. Rest today, keep gently moving about as you can, and try "
                      "again another day. Goodbye.")
            return outcome
        yield Say(routine.intro)
        yield Say(COMMANDS_HINT)
        yield Watch(True)
        total = len(routine.steps)
        for number, step in enumerate(routine.steps, start=1):
            header = f"Exercise {number_words(number)} of {number_words(total)}."
            try:
                result = yield from exercise_steps(step.exercise, step.dose, header, brief,
                                                   outcome.hurts)
            except SymptomReported as report:
                check = yield from symptom_check(triage, report.kind)
                outcome.flags += [f for f in check.flags if f not in outcome.flags]
                if check.action and triage.actions[check.action].ends_session:
                    outcome.ended, outcome.action = "red_flag", check.action
                    yield Record("exercise", step.exercise.id, "stopped", "warning sign")
                    yield Say(triage.actions[check.action].advice)
                    yield Say("The session ends here. Take care.")
                    return outcome
                yield Say(NONE_FOUND)
                yield Watch(True)
                result = "warning sign checked"
            if result == "done":
                outcome.exercises_done.append(step.exercise.id)
            elif result == "skipped":
                outcome.exercises_skipped.append(step.exercise.id)
            else:
                outcome.exercises_stopped[step.exercise.id] = result
            if result in ("done", "skipped"):
                yield Record("exercise", step.exercise.id, result)
            else:
                yield Record("exercise", step.exercise.id, "stopped", result)
            if result == "pain spread into the leg":
                outcome.ended = "pain"
                yield Say("Take care. Goodbye.")
                return outcome
        yield Watch(False)
        yield Say("That was the last exercise.")
        outcome.pain_after = yield from ask_pain(
            "One last question. From zero to ten, how much pain do you have now?",
            confirm_ratings,
        )
        if outcome.pain_after is not None:
            yield Record("pain", "after", str(outcome.pain_after))
        yield from pain_advice(outcome.pain_before, outcome.pain_after)
        if offer_progress and not outcome.hurts and went_well(
                "finished", outcome.pain_before, outcome.pain_after,
                len(outcome.exercises_stopped)):
            more = yield from ask_yes_no(PROGRESS_QUESTION)
            if more is Answer.YES:
                yield Record("progress", routine.id, "up")
                yield Say("Good. Next time the sets, reps and holds will be a little bigger. "
                          "If that brings more pain, say so and we will go back.")
            else:
                yield Say("All right, we keep it as it is.")
        if rose(outcome.pain_before, outcome.pain_after):
            yield Say("That is the end of today's routine. Goodbye.")
        else:
            yield Say("Well done, that is the end of today's routine. Some muscle soreness "
                      "after exercise is normal. Goodbye.")
        return outcome
    except SessionStopped:
        outcome.ended = "stopped"
        yield Say("Stopping now, as you asked. Goodbye.")
        return outcome
