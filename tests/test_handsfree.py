"""Commands during the routine: the session's answers to stop, skip and "it hurts", and the
coach's own handling of pause, repeat, time left, help, rate and volume, on a fake clock."""

from __future__ import annotations

import io
import json

import pytest

from tests.shared import (
    RecordingSpeaker,
    ScriptedListener,
    ScriptedWatcher,
    clear_answers,
    content,
    drive,
    said,
)
from voicecoach.coach.loop import HELP, Coach
from voicecoach.coach.transcript import Transcript
from voicecoach.content.model import Routine
from voicecoach.session.actions import Ask, Say, Timed
from voicecoach.session.clock import FakeClock
from voicecoach.session.exercising import (
    SHARP_ADVICE,
    SHARP_QUESTION,
    SPREAD_ADVICE,
    SPREAD_QUESTION,
)
from voicecoach.session.run import COMMANDS_HINT, run_session

C = content()
ROUTINE = C.routines[C.default_routine]
FIRST, SECOND = ROUTINE.steps[0].exercise, ROUTINE.steps[1].exercise


def interrupt_first_hold(exercise_id: str, command: str):
    done = {"in": False, "n": 0}

    def interrupt(step: Say | Timed) -> str | None:
        if isinstance(step, Say) and step.text == C.exercises[exercise_id].name + ".":
            done["in"] = True
        if done["in"] and done["n"] == 0 and isinstance(step, Timed) and step.kind != "position":
            done["n"] = 1
            return command
        return None

    return interrupt


def run(replies, interrupt):
    return drive(run_session(C.triage, ROUTINE, C.exercises), [*clear_answers(), *replies],
                 interrupt)


def asks(actions) -> list[str]:
    return [a.text for a in actions if isinstance(a, Ask)]


def test_the_routine_starts_by_telling_what_can_be_said():
    _, actions = run(["3", "2"], None)
    text = said(actions)
    assert COMMANDS_HINT in text
    assert text.index(COMMANDS_HINT) < text.index("Exercise one of seven.")


def test_stop_mid_hold_ends_the_session_at_once():
    outcome, actions = run(["3"], interrupt_first_hold(FIRST.id, "stop"))
    assert outcome.ended == "stopped"
    assert outcome.exercises_done == []
    assert said(actions)[-1] == "Stopping now, as you asked. Goodbye."


def test_skip_mid_hold_goes_to_the_next_exercise():
    outcome, actions = run(["3", "2"], interrupt_first_hold(FIRST.id, "skip"))
    assert outcome.ended == "finished"
    assert outcome.exercises_skipped == [FIRST.id]
    assert outcome.exercises_done == [s.exercise.id for s in ROUTINE.steps[1:]]
    text = said(actions)
    assert f"Skipping {FIRST.name}." in text
    assert text.index(f"Skipping {FIRST.name}.") + 1 == text.index("Exercise two of seven.")


def test_it_hurts_with_pain_spreading_into_the_leg_is_confirmed_then_ends_the_session():
    outcome, actions = run(["3", "yes", "yes"], interrupt_first_hold(SECOND.id, "hurts"))
    assert outcome.ended == "pain"
    assert outcome.exercises_done == [FIRST.id]
    assert outcome.exercises_stopped == {SECOND.id: "pain spread into the leg"}
    assert asks(actions)[-2:] == [SPREAD_QUESTION,
                                  f"You said yes to: {SPREAD_QUESTION} Is that right?"]
    assert SPREAD_ADVICE in said(actions)


def test_an_unclear_answer_about_spreading_pain_is_never_taken_as_no():
    outcome, actions = run(["3", None, "timeout", None], interrupt_first_hold(FIRST.id, "hurts"))
    assert outcome.ended == "pain"
    assert SPREAD_ADVICE in said(actions)


def test_a_spreading_yes_corrected_to_no_goes_on_to_the_sharp_question():
    replies = ["3", "yes", "no", "no", "no", "no", "2"]
    outcome, actions = run(replies, interrupt_first_hold(FIRST.id, "hurts"))
    assert SHARP_QUESTION in asks(actions)
    assert outcome.ended == "finished"


def test_sharp_pain_leaves_that_exercise_out_and_the_routine_goes_on():
    outcome, actions = run(["3", "no", "yes", "2"], interrupt_first_hold(FIRST.id, "hurts"))
    assert outcome.ended == "finished"
    assert outcome.exercises_stopped == {FIRST.id: "sharp pain"}
    assert FIRST.id not in outcome.exercises_done
    assert SECOND.id in outcome.exercises_done
    assert SHARP_ADVICE in said(actions)


def test_mild_pain_offers_a_skip():
    outcome, _ = run(["3", "no", "no", "yes", "2"], interrupt_first_hold(FIRST.id, "hurts"))
    assert outcome.exercises_skipped == [FIRST.id]


def test_mild_pain_and_no_skip_starts_the_interrupted_hold_again():
    outcome, actions = run(["3", "no", "no", "no", "2"], interrupt_first_hold(FIRST.id, "hurts"))
    assert outcome.exercises_done[0] == FIRST.id
    timed = [a for a in actions if isinstance(a, Timed) and a.kind != "position"]
    assert timed[0] == timed[1]  # the interrupted block, in full, once more
    assert "Then ease back in gently, and stop whenever you need to." in said(actions)


# ---- the coach loop: commands it handles itself, on a fake clock ----

ONE_HOLD = Routine(id="one", name="One hold", intro="One hold.", level="beginner",
                   steps=tuple(s for s in ROUTINE.steps if s.exercise.id == "childs_pose"))


def coach_run(commands, replies=("3", "2"), routine=ONE_HOLD, seconds_per_word=0.0):
    clock = FakeClock()
    speaker = RecordingSpeaker(clock, seconds_per_word)
    log = io.StringIO()
    transcript = Transcript(log, clock)
    watcher = ScriptedWatcher(clock, commands)
    listener = ScriptedListener([*clear_answers(), *replies])
    coach = Coach(speaker, listener, clock, transcript, watcher)
    outcome = coach.run(run_session(C.triage, routine, C.exercises))
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    return outcome, speaker, coach, lines


def hold_start(lines) -> float:
    return next(e["t"] for e in lines if e["text"] == "hold starts")


def test_a_plain_hold_keeps_its_length():
    outcome, _, coach, _ = coach_run([])
    holds = [(h.planned, h.end - h.start) for h in coach.hold_log if h.kind == "hold"]
    assert holds and all(abs(p - d) < 1e-9 for p, d in holds)
    assert outcome.ended == "finished"


@pytest.mark.parametrize("wait", [0.0, 7.3, 95.0])
def test_pause_stops_the_hold_clock_and_resume_starts_it_again(wait):
    _, _, _, plain = coach_run([])
    t0 = hold_start(plain)
    outcome, speaker, coach, lines = coach_run([(t0 + 5, "pause"), (t0 + 5 + wait, "resume")])
    hold = next(h for h in coach.hold_log if h.kind == "hold")
    _, planned, start, effective_end = hold
    assert effective_end - start == pytest.approx(planned, abs=0.11)
    paused = next(e for e in lines if e["text"] == "resumed")["paused"]
    assert paused == pytest.approx(wait, abs=0.11)
    assert "Paused. Say continue when you are ready, or stop to finish." in speaker.texts
    assert any(t.startswith("Carrying on.") and "to go" in t for t in speaker.texts)
    if wait > 60:
        assert "Still paused. Say continue to carry on, or stop to finish." in speaker.texts
    assert outcome.ended == "finished"


def test_stop_while_paused_ends_the_session():
    _, _, _, plain = coach_run([])
    t0 = hold_start(plain)
    outcome, *_ = coach_run([(t0 + 3, "pause"), (t0 + 20, "stop")], replies=("3",))
    assert outcome.ended == "stopped"


def test_repeat_says_the_last_instruction_again_and_keeps_time():
    _, _, _, plain = coach_run([])
    t0 = hold_start(plain)
    _, speaker, coach, _ = coach_run([(t0 + 4, "repeat")])
    action = C.exercises["childs_pose"].action
    assert speaker.texts.count(action) == 2
    durations = [h.end - h.start for h in coach.hold_log]
    assert durations == [h.end - h.start for h in coach_run([])[2].hold_log]


def test_time_left_help_rate_and_volume_mid_hold():
    _, _, _, plain = coach_run([])
    t0 = hold_start(plain)
    hold = next(e for e in plain if e["text"] == "hold starts")["seconds"]
    _, speaker, _, lines = coach_run([(t0 + 10, "time_left"), (t0 + 11, "help"),
                                      (t0 + 12, "slower"), (t0 + 13, "louder")])
    from voicecoach.session.words import capitalized, seconds_words

    assert f"{capitalized(seconds_words(hold - 10))} left in this hold." in speaker.texts
    assert HELP in speaker.texts
    assert speaker.adjusted == ["slower", "louder"]
    heard = [e for e in lines if e["kind"] == "heard" and e.get("during") == "hold"]
    assert [e["value"] for e in heard] == ["time_left", "help", "slower", "louder"]


def test_how_long_while_paused_says_what_is_left_and_that_we_are_paused():
    _, _, _, plain = coach_run([])
    t0 = hold_start(plain)
    hold = next(e for e in plain if e["text"] == "hold starts")["seconds"]
    _, speaker, coach, _ = coach_run([(t0 + 10, "pause"), (t0 + 40, "time_left"),
                                      (t0 + 50, "resume")])
    from voicecoach.session.words import capitalized, seconds_words

    left = capitalized(seconds_words(hold - 10))  # the clock stopped when the pause began
    assert f"We are paused. {left} left in this hold. Say continue when you are ready." in (
        speaker.texts)
    run = next(h for h in coach.hold_log if h.kind == "hold")
    assert run.end - run.start == pytest.approx(hold, abs=0.11)


def test_stop_mid_hold_is_logged_with_the_time_it_cut_in():
    _, _, _, plain = coach_run([])
    t0 = hold_start(plain)
    outcome, _, _, lines = coach_run([(t0 + 6, "stop")], replies=("3",))
    assert outcome.ended == "stopped"
    cut = next(e for e in lines if e["text"] == "hold interrupted: stop")
    assert cut["t"] == pytest.approx(t0 + 6, abs=0.11)
    assert cut["seconds"] == pytest.approx(6, abs=0.11)
    assert lines[-1]["text"] == "session ended: stopped"


def test_commands_are_not_taken_during_questions():
    # A command due during the pain question waits until the routine starts watching.
    outcome, _, _, lines = coach_run([(0.0, "skip")])
    assert outcome.pain_before == 3
    assert outcome.exercises_skipped == ["childs_pose"]
    skip = next(i for i, e in enumerate(lines) if e.get("value") == "skip")
    pain = next(i for i, e in enumerate(lines) if e.get("value") == "3")
    assert pain < skip


def test_a_count_is_cut_short_by_any_command_an_instruction_only_by_stop():
    from tests.shared import CuttableSpeaker
    from voicecoach.session.actions import Cue, Outcome, Watch

    clock = FakeClock()
    speaker = CuttableSpeaker(clock, seconds_per_word=0.4)
    # the instruction takes 1.6 s, its repeat another 1.6; the block's counts come each second
    watcher = ScriptedWatcher(clock, [(0.0, "repeat"), (4.3, "louder"), (5.3, "stop")])
    block = Timed(6, tuple(Cue(float(n), str(n)) for n in range(1, 6)), "And relax.")

    def script():
        yield Watch(True)
        yield Say("Lie on your back.")  # "repeat" is waiting: it does not cut an instruction
        reply = yield block  # starts at 3.2 s
        return Outcome("stopped" if reply and reply.value == "stop" else "finished")

    transcript = io.StringIO()
    outcome = Coach(speaker, None, clock, Transcript(transcript, clock), watcher).run(script())
    assert outcome.ended == "stopped"
    assert speaker.cut_texts == ["1", "2"]  # "1" at 4.2-4.6 s and "2" at 5.2-5.6 s
    events = [json.loads(line) for line in transcript.getvalue().splitlines()]
    cuts = [e for e in events if e["text"] == "speech cut short"]
    assert [c["command"] for c in cuts] == ["louder", "stop"]
    assert [text for _, text in speaker.said] == [
        "Lie on your back.", "Lie on your back.", "1", "Adjusted: louder.", "2"]
