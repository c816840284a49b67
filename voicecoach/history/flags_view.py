"""Safety flags from the history as plain text lines a screen reader can follow, or JSON."""

from __future__ import annotations

import json
import time

from voicecoach.content.model import Question, Triage
from voicecoach.history.store import FlagRow

ACTION_WORDS = {
    "emergency": "emergency care now",
    "urgent_today": "a doctor today",
    "doctor_first": "see a doctor before exercising",
    "doctor_soon": "gentle routine, see a doctor soon",
    "modify": "routine changed",
    "out_of_scope": "not for this coach",
}


HOW_RAISED = {
    "yes": "answered yes", "no": "answered no", "unclear": "answer not understood",
    "unconfirmed": "said yes, stopped before confirming", "rule": "by a combination rule",
    "keyboard": "re-armed by keyboard",
}


def _day(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def flag_text(triage: Triage, flag: str) -> str:
    """The question or rule behind a flag id, as the person heard it."""
    named = triage.flag(flag)
    if isinstance(named, Question):
        return named.text
    if named is not None:
        return named.text[:1].upper() + named.text[1:] + "."
    return "(no longer in the safety questions)"


def flags_lines(rows: list[FlagRow], triage: Triage) -> list[str]:
    """One line per flag: in force first, then cleared; none when nothing was ever flagged."""
    live = [r for r in rows if r.cleared_at is None]
    cleared = [r for r in rows if r.cleared_at is not None]
    lines: list[str] = []
    if live:
        lines.append("Safety flags in force (voicecoach safety clear ID, once a clinician has "
                     "checked):")
        lines += [f"  {r.flag}: {ACTION_WORDS.get(r.action, r.action)}; "
                  f"{HOW_RAISED.get(r.answer, r.answer)} on {_day(r.raised_at)}. "
                  f"{flag_text(triage, r.flag)}" for r in live]
    if cleared:
        lines.append("Safety flags cleared:")
        lines += [f"  {r.flag}: raised {_day(r.raised_at)}, cleared {_day(r.cleared_at)} "
                  f"({r.cleared_how}). {flag_text(triage, r.flag)}" for r in cleared]
    return lines


def flags_json(rows: list[FlagRow], triage: Triage) -> str:
    return json.dumps([{**r.__dict__, "text": flag_text(triage, r.flag),
                        "in_force": r.cleared_at is None} for r in rows], indent=2)
