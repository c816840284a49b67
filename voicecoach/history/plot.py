"""The history as a picture: pain before and after each session, and sessions per week.

matplotlib is an optional extra (`pip install 'voicecoach[plot]'`); without it the caller gets
a clear error, and everything else works.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from voicecoach.errors import VoicecoachError
from voicecoach.files import open_private
from voicecoach.history.store import SessionRow


def plot_history(rows: list[SessionRow], path: Path) -> None:
    """Write a PNG with two panels; raises VoicecoachError if it cannot."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise VoicecoachError(
            "plotting needs matplotlib, an optional extra: pip install 'voicecoach[plot]' "
            "(or ./scripts/setup, which installs it)"
        ) from None
    if not rows:
        raise VoicecoachError("there is no history to plot yet")
    when = [dt.datetime.fromtimestamp(r.started_at) for r in rows]
    figure, (pain, weekly) = plt.subplots(2, 1, figsize=(8, 6.5), constrained_layout=True)
    scored = [(w, r) for w, r in zip(when, rows, strict=True)]
    before = [(w, r.pain_before) for w, r in scored if r.pain_before is not None]
    after = [(w, r.pain_after) for w, r in scored if r.pain_after is not None]
    if before:
        pain.plot(*zip(*before, strict=True), marker="o", label="before the session")
    if after:
        pain.plot(*zip(*after, strict=True), marker="s", linestyle="--",
                  label="after the session")
    pain.set_ylim(0, 10)
    pain.set_ylabel("pain (0 to 10)")
    pain.set_title("Pain before and after each session")
    pain.legend(loc="upper right")
    pain.grid(alpha=0.3)
    weeks = Counter(w.date() - dt.timedelta(days=w.weekday()) for w, r in scored
                    if r.ended in ("finished", "stopped", "pain"))
    if weeks:
        starts = sorted(weeks)
        weekly.bar([s.isoformat() for s in starts], [weeks[s] for s in starts], color="#4a7")
    weekly.set_ylabel("sessions")
    weekly.set_title("Sessions per week (week starting)")
    weekly.grid(axis="y", alpha=0.3)
    from matplotlib.dates import DateFormatter

    pain.xaxis.set_major_formatter(DateFormatter("%d %b"))
    for axis in (pain, weekly):
        axis.tick_params(axis="x", labelrotation=30)
    try:
        with open_private(path, "wb") as handle:
            figure.savefig(handle, dpi=100, format="png")
    except OSError as exc:
        raise VoicecoachError(f"{path}: cannot write the plot ({exc.strerror or exc})") from None
    finally:
        plt.close(figure)
