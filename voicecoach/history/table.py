"""The history as a plain-text table a screen reader can follow line by line: each cell says
what it counts ("3 done, 1 skipped", "pain 4 before, 2 after"), so a line read alone, without
its header, still makes sense (a row of bare "0 0 0 - -" did not)."""

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


def exercises_cell(row: SessionRow) -> str:
    counts = [(row.done, "done"), (row.skipped, "skipped"), (row.stopped, "stopped for pain")]
    said = [f"{n} {what}" for n, what in counts if n]
    return ", ".join(said) if said else "no exercises"


def pain_cell(row: SessionRow) -> str:
    said = [f"{value} {when}" for value, when in ((row.pain_before, "before"),
                                                  (row.pain_after, "after"))
            if value is not None]
    return "pain " + ", ".join(said) if said else "pain not asked"


def history_table(rows: list[SessionRow]) -> str:
    """One line per session, newest last; a sentence when there is none yet."""
    if not rows:
        return "No sessions yet. Start one with: voicecoach start"
    header = ("date", "routine", "ended", "exercises", "pain (0 to 10)")
    lines = [header]
    for row in rows:
        lines.append((
            time.strftime("%Y-%m-%d %H:%M", time.localtime(row.started_at)), row.routine,
            ENDINGS.get(row.ended, row.ended or "running"), exercises_cell(row), pain_cell(row),
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
           for line in lines]
    return "\n".join(out)
