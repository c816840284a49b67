"""Pain ratings and what they lead to: a severe start, and a rise by the end, graded.

From the seeds: strong pain is not by itself a sign of something serious (seeds 001 and 004);
stop on sharp or severe pain, while some muscle soreness is normal (seed 004); pain that gets
worse or spreads into the leg should be checked (seed 003). The thresholds (a rise of 2, of 4,
a rating of 8) are the project's choices, listed in docs/safety.md.
"""

from __future__ import annotations

from collections.abc import Generator

from voicecoach.content.model import Answer
from voicecoach.session.actions import Ask, Heard, Say
from voicecoach.session.asking import ask_yes_no

PAIN_QUESTION = (
    "From zero to ten, where zero is no pain and ten is the worst pain you can imagine, "
    "how much pain do you have right now?"
)
PAIN_RISE_ADVICE = 2  # a rise of this many points from start to end gets advice
PAIN_RISE_LARGE = 4  # a rise of this many points is "a lot"
SEVERE_PAIN = 8  # a rating from here up is severe pain

SEVERE_START = (
    "That is a lot of pain to start with. Strong pain is not always a sign of something "
    "serious, but exercise should not add to it, and on a day like this rest and gentle "
    "movement are usually best. If pain this strong is not settling, or keeps getting worse, "
    "please contact a doctor."
)
REST_QUESTION = "Would you rather rest today, and not exercise?"
GENTLE_QUESTION = ("Then shall we do the gentle flare-up routine instead? All of it is done "
                   "lying down.")
RISE_SEVERE = (
    "Your pain is now severe, and higher than when we started. Stop exercising for today and "
    "rest. If it does not settle, or it spreads into your leg, contact a doctor or an urgent "
    "advice line today."
)
RISE_LARGE = (
    "Your pain is much higher than when we started. Rest for today, and do not do this "
    "routine again until the pain has settled. If it has not settled in a day or two, or it "
    "spreads into your leg, please get it checked by a doctor."
)
RISE_SMALL = (
    "Your pain is a little higher than when we started. Take it easy for the rest of the day. "
    "If it keeps rising, or spreads into your leg, please get it checked."
)


def severe_start(before: int | None, gentle_offered: bool) -> Generator[Ask | Say, Heard, str]:
    """After the first rating: "go" on, switch to the "gentle" routine, or "rest" today.

    Below SEVERE_PAIN nothing is asked. An unclear answer takes the gentler way."""
    if before is None or before < SEVERE_PAIN:
        return "go"
    yield Say(SEVERE_START)
    rest = yield from ask_yes_no(REST_QUESTION)
    if rest is not Answer.NO:
        return "rest"
    if gentle_offered:
        gentle = yield from ask_yes_no(GENTLE_QUESTION)
        if gentle is not Answer.NO:
            return "gentle"
    yield Say("Then go gently, and stop whenever the pain rises.")
    return "go"


def rose(before: int | None, after: int | None) -> bool:
    """Whether pain rose enough from start to end to need advice."""
    return before is not None and after is not None and after - before >= PAIN_RISE_ADVICE


def pain_advice(before: int | None, after: int | None) -> Generator[Say, Heard, None]:
    """Graded advice when pain rose by PAIN_RISE_ADVICE points or more during the session."""
    if not rose(before, after):
        return
    assert before is not None and after is not None
    if after >= SEVERE_PAIN:
        yield Say(RISE_SEVERE)
    elif after - before >= PAIN_RISE_LARGE:
        yield Say(RISE_LARGE)
    else:
        yield Say(RISE_SMALL)
