"""The pure session core: triage, pain checks and the routine, as a generator of actions.

`run_session` yields `Say`, `Ask` and `Timed` actions and receives a `Heard` for each `Ask`.
It never prints, sleeps or touches audio, so tests drive it with scripted answers.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field

from voicecoach.actions import Ask, Heard, Outcome, Record, Say, Timed, Watch
from voicecoach.adapt import adapt_routine
from voicecoach.model import Answer, Dose, Exercise, Group, Question, Routine, Triage
from voicecoach.narration import narrate
from voicecoach.progress import went_well
from voicecoach.words import number_words

RETRIES = 2  # an unclear answer is asked again twice, then treated as the cautious answer
MAX_REPEATS = 10  # "repeat" requests honoured per question before counting as unclear
PAIN_RISE_ADVICE = 2  # a rise of this many points from start to end gets advice

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
    "time. Say help to hear everything you can say."
)

PAIN_QUESTION = (
    "From zero to ten, where zero is no pain and ten is the worst pain you can imagine, "
    "how much pain do you have right now?"
)

Script = Generator[Say | Ask | Timed | Watch | Record, Heard | None, Outcome]
Steps = Generator[Say | Ask | Timed | Watch | Record, Heard | None, str]

# In-session checks after "it hurts" (content/triage.md section 8, IS-1 and IS-2).
SPREAD_QUESTION = "Has any pain spread into your leg?"  # IS-2, seed 003
SHARP_QUESTION = "Is the pain sharp or severe?"  # IS-1, seed 004
SPREAD_ADVICE = (
    "Then we stop the session here. Pain spreading into the leg during exercise should be "
    "checked, so please get it looked at by a doctor or physiotherapist. If your back pain keeps "
    "getting worse, get help sooner."
)
SHARP_ADVICE = (
    "Then we leave this exercise out for today: sharp or severe pain is a reason to stop it. "
    "If the pain gets worse or starts to spread into your leg, please get it checked."
)


class SessionStopped(Exception):
    """The user said stop: unwind the generator to a clean ending."""


@dataclass
class Screening:
    """What the triage found: the flags raised and the most severe action, if any."""

    flags: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    action: str = ""  # the most severe action raised, "" if none
    unclear: bool = False


def run_session(
    triage: Triage,
    routine: Routine,
    exercises: dict[str, Exercise] | None = None,
    full_screening_due: bool = True,
    brief: bool = False,
    offer_progress: bool = False,
    confirm_ratings: bool = False,
) -> Script:
    """A whole session: welcome, limits, triage, pain check, routine, pain check, close.

    When a full screening is not due (one was done in the last SCREENING_DAYS days), only the
    every-session groups are asked, unless the person says something has changed. With
    `confirm_ratings` (spoken answers), each pain rating is read back and confirmed.
    """
    outcome = Outcome(ended="finished")
    exercises = exercises or {s.exercise.id: s.exercise for s in routine.steps}
    try:
        yield Say(triage.welcome)
        yield Say(triage.limits)
        full = full_screening_due
        if not full:
            changed = yield from ask_yes_no(CHANGED_QUESTION)
            full = changed is not Answer.NO  # a change, or an unclear answer: ask everything
            if not full:
                yield Say("Then I will ask only the questions that matter every time.")
        screening = yield from screen(triage, triage.questions_for(full))
        outcome.flags = screening.flags + screening.rules
        yield Record("screening", "triage", screening.action, json.dumps(
            {"flags": outcome.flags, "unclear": screening.unclear, "full": full}))
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
            yield Say("Today's routine leaves out: " + ", ".join(left_out) + ".")
        if added:
            yield Say("It adds: " + ", ".join(added) + ".")
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
        yield Say(routine.intro)
        yield Say(COMMANDS_HINT)
        yield Watch(True)
        total = len(routine.steps)
        for number, step in enumerate(routine.steps, start=1):
            header = f"Exercise {number_words(number)} of {number_words(total)}."
            result = yield from exercise_steps(step.exercise, step.dose, header, brief,
                                               outcome.hurts)
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
        yield Say(
            "Well done, that is the end of today's routine. Some muscle soreness after "
            "exercise is normal. Goodbye."
        )
        return outcome
    except SessionStopped:
        outcome.ended = "stopped"
        yield Say("Stopping now, as you asked. Goodbye.")
        return outcome


def _raise(triage: Triage, screening: Screening, action: str) -> None:
    if not screening.action or (
        triage.actions[action].severity > triage.actions[screening.action].severity
    ):
        screening.action = action


def _ends(triage: Triage, screening: Screening) -> bool:
    return bool(screening.action) and triage.actions[screening.action].ends_session


def screen(
    triage: Triage, questions: tuple[Question, ...]
) -> Generator[Ask | Say | Record, Heard | None, Screening]:
    """Ask the questions group by group; confirm a flag, then act. Unclear is never a no.

    Groups that stop early (scope, A) end at the first flag that ends the session; the others
    are asked in full, then the combination rules are checked.
    """
    screening = Screening()
    group_of = {q.id: q.group for q in triage.questions}
    for group in triage.groups:
        for question in (q for q in questions if q.group == group.id):
            if question.only_if and question.only_if not in screening.flags:
                continue
            if question.unless and question.unless in screening.flags:
                continue
            action = yield from _ask_question(triage, group, question, screening)
            yield Record("answer", question.id, "flag" if action else "clear", action or "")
            if action is None:
                continue
            screening.flags.append(question.id)
            _raise(triage, screening, action)
            if not group.ask_all and _ends(triage, screening):
                return screening
        for rule in triage.rules:
            if rule.id not in screening.rules and rule.fires(screening.flags, group_of):
                screening.rules.append(rule.id)
                _raise(triage, screening, rule.action)
        if _ends(triage, screening):
            return screening
    return screening


def _ask_question(
    triage: Triage, group: Group, question: Question, screening: Screening
) -> Generator[Ask | Say, Heard, str | None]:
    """The action this question raises, or None if the answer clearly raised no flag."""
    answer = yield from ask_yes_no(question.text)
    if answer is not None and answer != question.flag_if:
        return None
    if answer is None:
        screening.unclear = True
        if group.unclear_action == "as_yes":
            yield Say("I could not understand the answer, so to be safe I will count it as a yes.")
            return question.action
        yield Say(
            "I could not understand the answer, so to be safe I will treat it as a warning sign."
        )
        return group.unclear_action
    if group.confirm:
        kept = yield from confirm(question.text, answer)
        if kept is not None and kept != question.flag_if:
            return None
    action = yield from _followup(triage, question)
    return action


def confirm(text: str, answer: Answer) -> Generator[Ask, Heard, Answer | None]:
    """Check an answer that would raise a flag: kept unless the person corrects it.

    "No, that's wrong" leads to the question once more, whose answer (or None) counts.
    """
    confirmed = yield from ask_yes_no(f"You said {answer.value} to: {text} Is that right?")
    if confirmed is not Answer.NO:
        return answer
    again = yield from ask_yes_no(f"Let us try once more. {text}")
    return again


def _followup(triage: Triage, question: Question) -> Generator[Ask, Heard, str]:
    """A flag's follow-up question may change the action; unclear takes the more severe."""
    if not question.followup:
        return question.action
    answer = yield from ask_yes_no(question.followup)
    if answer is None:
        return max(
            (question.action, question.followup_action),
            key=lambda a: triage.actions[a].severity,
        )
    return question.followup_action if answer == question.followup_flag_if else question.action


def exercise_steps(exercise: Exercise, dose: Dose | None, header: str = "",
                   brief: bool = False, hurts: list[str] | None = None) -> Steps:
    """One exercise, obeying the commands that interrupt it.

    Returns "done", "skipped", or why it was stopped. "stop" ends the session; "it hurts" runs
    the in-session pain check, after which an interrupted timed block starts again if the
    person chooses to carry on.
    """
    steps = ([Say(header)] if header else []) + list(narrate(exercise, dose, brief))
    i = 0
    while i < len(steps):
        reply = yield steps[i]
        command = reply.value if reply is not None else None
        if command == "stop":
            raise SessionStopped
        if command == "skip":
            yield Say(f"Skipping {exercise.name}.")
            return "skipped"
        if command == "hurts":
            verdict = yield from hurt_check()
            yield Record("hurt", exercise.id, verdict)
            if hurts is not None:
                hurts.append(exercise.id)
            if verdict != "carry on":
                return verdict
            if isinstance(steps[i], Timed):
                continue  # the interrupted hold starts again
        i += 1
    return "done"


def hurt_check() -> Steps:
    """After "it hurts": stop, ask about spreading (IS-2) and sharp pain (IS-1), then act.

    Returns "pain spread into the leg" (the session ends), "sharp pain" (this exercise is left
    out), "skipped", or "carry on". An unclear answer is never taken as reassurance.
    """
    yield Watch(False)
    yield Say("I have stopped the exercise. Ease out of the position slowly.")
    spread = yield from ask_yes_no(SPREAD_QUESTION)
    if spread is Answer.YES:
        spread = yield from confirm(SPREAD_QUESTION, spread)
    if spread is not Answer.NO:
        if spread is None:
            yield Say("I could not understand the answer, so to be safe we stop here.")
        yield Say(SPREAD_ADVICE)
        return "pain spread into the leg"
    sharp = yield from ask_yes_no(SHARP_QUESTION)
    if sharp is not Answer.NO:
        if sharp is None:
            yield Say("I could not understand the answer, so to be safe we skip this one.")
        yield Say(SHARP_ADVICE)
        yield Watch(True)
        return "sharp pain"
    skip = yield from ask_yes_no(
        "Mild discomfort while stretching can be normal, but it should stay mild. "
        "Would you like to skip this exercise and carry on with the next one?"
    )
    if skip is not Answer.NO:
        yield Say("All right, we skip this one.")
        yield Watch(True)
        return "skipped"
    yield Say("Then ease back in gently, and stop whenever you need to.")
    yield Watch(True)
    return "carry on"


def ask_yes_no(text: str) -> Generator[Ask, Heard, Answer | None]:
    """Ask a yes/no question, re-asking up to RETRIES times; None if still not understood."""
    value = yield from _ask(text, "answer", "Please answer yes or no.")
    return Answer(value) if value in ("yes", "no") else None


def ask_pain(text: str, confirm: bool = False) -> Generator[Ask | Say, Heard, int | None]:
    """Ask for a pain rating from 0 to 10; None (and say so) if not understood.

    With `confirm`, the rating is read back as a yes/no question: spoken numbers are misheard
    far more often than yes and no (one in ten real recordings heard as another number, see
    scripts/bench_hearing.py). "No" asks for the number once more; an unclear reply keeps it.
    """
    for attempt in range(2 if confirm else 1):
        value = yield from _ask(text, "number", "Please say a number from zero to ten.")
        if value is None or not value.isdigit():
            yield Say("I did not catch a number, so I will leave the pain score out this time.")
            return None
        words = number_words(int(value))
        if not confirm or attempt == 1:
            break
        right = yield from ask_yes_no(f"I heard {words}. Is that right?")
        if right is not Answer.NO:
            break
        text = "Sorry. Please say your pain again, a number from zero to ten."
    yield Say(f"Thank you, {words}.")
    return int(value)


def _ask(text: str, expect: str, hint: str) -> Generator[Ask, Heard, str | None]:
    attempts = repeats = 0
    prompt = text
    while attempts <= RETRIES:
        heard = yield Ask(prompt, expect)
        if heard.value == "stop":
            raise SessionStopped
        if heard.value == "repeat" and repeats < MAX_REPEATS:
            repeats += 1
            prompt = text
            continue
        if heard.value is not None and heard.value not in ("repeat", "unsure"):
            return heard.value
        attempts += 1
        if heard.value == "unsure":
            prompt = f"That is all right; take a moment. {text} {hint}"
        elif heard.timed_out:
            prompt = f"Sorry, I did not hear an answer. {text} {hint}"
        else:
            prompt = f"Sorry, I did not understand. {text} {hint}"
    return None


def pain_advice(before: int | None, after: int | None) -> Generator[Say, Heard, None]:
    """Advice when pain rose by PAIN_RISE_ADVICE points or more during the session."""
    if before is None or after is None or after - before < PAIN_RISE_ADVICE:
        return
    yield Say(
        "Your pain is higher than when we started. Rest for today. If your back pain keeps "
        "getting worse, or pain spreads into your leg, please get it checked by a doctor."
    )
