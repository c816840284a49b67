"""The history as a plain-text table a screen reader can follow line by line."""

from __future__ import annotations

import time

from voicecoach.history.store import SessionRow

ENDINGS = {
    "finished": "finished", "stopped": "stopped by you", "red_flag": "safety stop",
    "out_of_scope": "not for this coach", "nothing_suitable": "no suitable exercise",
    "rested": "rested (severe pain)",
    "pain": "pain spread", "interrupted": "interrupted", "input_ended": "input ended",
    None: "running",
}


def _pain(value: int | None) -> str:
    return "-" if value is None else str(value)


def history_table(rows: list[SessionRow]) -> str:
    """One line per session, newest last; a sentence when there is none yet."""
    if not rows:
        return "No sessions yet. Start one with: voicecoach start"
    header = ("date", "routine", "ended", "done", "skipped", "stopped", "pain before", "after")
    lines = [header]
    for row in rows:
        lines.append((
            time.strftime("%Y-%m-%d %H:%M", time.localtime(row.started_at)), row.routine,
            ENDINGS.get(row.ended, row.ended or "running"), str(row.done), str(row.skipped),
            str(row.stopped), _pain(row.pain_before), _pain(row.pain_after),
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
           for line in lines]
    return "\n".join(out)
