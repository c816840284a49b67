"""The sentences a session says, found by running the session core with quiet answers.

A slow voice renders them ahead (`voicecoach voices --prepare`), so a session plays them from
the cache. The core is pure, so this walks every routine without a clock or a sound: every
safety question answered "no", pain 3 before and after, then the advice and help texts that
only other answers reach. Sentences not found here are rendered the first time they are said.
"""

from __future__ import annotations

from voicecoach.coach.loop import HELP
from voicecoach.content.model import Content
from voicecoach.session.actions import Ask, Heard, Say, Timed
from voicecoach.session.run import run_session
from voicecoach.session.words import number_words


def session_texts(content: Content) -> list[str]:
    """Each utterance of a quiet session of every routine, and the texts other answers reach;
    in the order a session says them, without repeats."""
    texts: list[str] = []
    for routine in content.routines.values():
        script = run_session(content.triage, routine, content.exercises)
        reply: Heard | None = None
        try:
            while True:
                action = script.send(reply)
                reply = None
                if isinstance(action, (Say, Ask)):
                    texts.append(action.text)
                if isinstance(action, Ask):
                    reply = Heard("3" if action.expect == "number" else "no")
                elif isinstance(action, Timed):
                    texts += [cue.text for cue in action.cues] + [action.end]
        except StopIteration:
            pass
    triage = content.triage
    for question in triage.questions:
        texts += [question.text, question.followup, getattr(question, "advice", "") or ""]
    texts += [action.advice for action in triage.actions.values()]
    texts += [triage.investigation_rule, HELP]
    texts += [number_words(n) for n in range(0, 61)]
    return [t for t in dict.fromkeys(texts) if t and t.strip()]
