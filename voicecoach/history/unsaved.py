"""Steps a session could not write to the history (the file locked or the disk full until the
end) are kept in a small JSON file beside it, and added to the history by the next session that
opens it: a history problem never loses what a person did or answered."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PATTERN = "unsaved-*.json"


@dataclass
class Step:
    """One write waiting its turn: begin (routine), record (a step) or end (how it ended)."""

    what: str
    at: float
    args: dict[str, str] = field(default_factory=dict)


@dataclass
class Unsaved:
    """A session's writes that did not reach the history; session_id is None when even its
    beginning was not written."""

    session_id: int | None
    steps: list[Step]


def keep(folder: Path, unsaved: Unsaved) -> Path:
    """Write the steps to a new file in `folder`, readable by its owner only."""
    path = folder / f"unsaved-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.json"
    data = {"session_id": unsaved.session_id, "steps": [asdict(s) for s in unsaved.steps]}
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def read(path: Path) -> Unsaved:
    """A kept file; ValueError when it is damaged (it is then left where it is)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        session_id = data["session_id"]
        steps = [Step(str(s["what"]), float(s["at"]), {str(k): str(v) for k, v in
                                                        s["args"].items()})
                 for s in data["steps"]]
    except (OSError, KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the unsaved steps ({exc})") from None
    if session_id is not None and not isinstance(session_id, int):
        raise ValueError(f"{path}: cannot read the unsaved steps (bad session id)")
    return Unsaved(session_id, steps)


def waiting(folder: Path) -> list[Path]:
    return sorted(folder.glob(PATTERN))
