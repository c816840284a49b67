"""Progress in words: sessions this week, streak, pain before and after, and the trend.

Pure: given the sessions and the time now, it returns sentences to speak or print.
"""

from __future__ import annotations

import csv
import io
import time
from statistics import mean

from voicecoach.history.store import SessionRow
from voicecoach.session.words import number_words

DAY = 86400.0
COUNTED = ("finished", "stopped", "pain")  # sessions where exercise happened


def _day(t: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(t))


def streak(rows: list[SessionRow], now: float) -> int:
    """Days in a row, up to today (or yesterday), with a session that reached the exercises."""
    days = {_day(r.started_at) for r in rows if r.ended in COUNTED}
    count = 0
    t = now if _day(now) in days else now - DAY
    while _day(t) in days:
        count += 1
        t -= DAY
    return count


def _sessions(n: int) -> str:
    return "one session" if n == 1 else f"{number_words(n)} sessions"


def _score(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def summary_sentences(rows: list[SessionRow], now: float) -> list[str]:
    """Sessions this week and the streak; pain before and after over two weeks; the trend."""
    if not rows:
        return ["There is no history yet."]
    week = [r for r in rows if r.ended in COUNTED and now - r.started_at < 7 * DAY]
    days = streak(rows, now)
    first = f"You have done {_sessions(len(week))} in the last seven days"
    first += f", and {number_words(days)} days in a row." if days > 1 else "."
    out = [first]
    fortnight = [r for r in rows if now - r.started_at < 14 * DAY
                 and r.pain_before is not None and r.pain_after is not None]
    if fortnight:
        before = mean(r.pain_before for r in fortnight)
        after = mean(r.pain_after for r in fortnight)
        out.append(f"Over the last two weeks your pain averaged {_score(before)} out of ten "
                   f"before a session and {_score(after)} after.")
        older = [r.pain_before for r in fortnight if now - r.started_at >= 7 * DAY]
        recent = [r.pain_before for r in fortnight if now - r.started_at < 7 * DAY]
        if older and recent:
            change = mean(recent) - mean(older)
            if change <= -1:
                out.append("Your pain before sessions is lower than the week before.")
            elif change >= 1:
                out.append("Your pain before sessions is higher than the week before; if it "
                           "keeps rising, please see a doctor or physiotherapist.")
            else:
                out.append("Your pain before sessions is about the same as the week before.")
    return out


def summary_figures(rows: list[SessionRow], now: float) -> dict[str, object]:
    """The progress as figures, for a dashboard (Home Assistant's command-line sensor): the
    sessions in the last seven days, the streak, the last session, two weeks' pain, and the
    sentences `summary_sentences` says."""
    week = [r for r in rows if r.ended in COUNTED and now - r.started_at < 7 * DAY]
    fortnight = [r for r in rows if now - r.started_at < 14 * DAY
                 and r.pain_before is not None and r.pain_after is not None]
    last = max(rows, key=lambda r: r.started_at) if rows else None
    return {
        "sessions_last_7_days": len(week),
        "streak_days": streak(rows, now),
        "sessions_total": len(rows),
        "last_session": None if last is None else time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.localtime(last.started_at)),
        "last_session_ended": None if last is None else last.ended,
        "pain_before_14_days": round(mean(r.pain_before for r in fortnight), 1)
        if fortnight else None,
        "pain_after_14_days": round(mean(r.pain_after for r in fortnight), 1)
        if fortnight else None,
        "text": " ".join(summary_sentences(rows, now)),
    }


def as_csv(rows: list[SessionRow]) -> str:
    """One line per session, for a spreadsheet or a clinician."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["started", "ended_at", "routine", "ended", "action", "pain_before",
                     "pain_after", "exercises_done", "skipped", "stopped"])
    for r in rows:
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(r.started_at))
        end = (time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(r.ended_at))
               if r.ended_at else "")
        writer.writerow([iso, end, r.routine, r.ended or "", r.action or "",
                         "" if r.pain_before is None else r.pain_before,
                         "" if r.pain_after is None else r.pain_after,
                         r.done, r.skipped, r.stopped])
    return buffer.getvalue()
