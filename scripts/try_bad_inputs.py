#!/usr/bin/env python3
"""Run voicecoach on bad inputs as an adversarial user would, and print what each one got.

Every case runs the real command in a fresh process with its own data and settings folders:
broken and hostile files, odd flags, full disks, locks, signals. For each it prints the exit
code, whether a Python traceback (or an abort) appeared, and the first line said about it;
then the count of cases and how many ended cleanly. Exit status 1 if any did not.

    python scripts/try_bad_inputs.py [--voicecoach ".venv/bin/python -m voicecoach"]
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.shared import clear_answers  # noqa: E402  (the answers that clear every question)

CLEAR = "\n".join(clear_answers()) + "\n3\n2\n"
FAST = ["start", "--text", "--time-scale", "0.001", "--routine", "desk_break"]
ROUTINE = ("routines:\n  - id: mine\n    name: Mine\n    intro: Mine.\n    level: beginner\n"
           "    steps:\n      - exercise: pelvic_tilt\n        dose: {DOSE}\n")


@dataclass
class Case:
    name: str
    args: list[str]
    stdin: str = ""
    prepare: Callable[[Path], None] | None = None
    codes: tuple[int, ...] = (0,)  # the exit codes a clean outcome may have
    signal_after: tuple[int, float] | None = None  # (signal, seconds after start)
    lock_history: bool = False  # another program holds the history's write lock throughout


def write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def prepare(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return prepare


def wav(rate: int, body: bytes = bytes(3200), width: int = 2) -> bytes:
    return (b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * width, width, 8 * width)
            + b"data" + struct.pack("<I", len(body)) + body)


def damaged_date(folder: Path) -> None:
    run_quietly(folder, FAST, CLEAR)
    con = sqlite3.connect(folder / "data" / "history.sqlite3")
    con.execute("UPDATE sessions SET started_at = 1e300")
    con.commit()


def future_screening(folder: Path) -> None:
    run_quietly(folder, FAST, CLEAR)
    con = sqlite3.connect(folder / "data" / "history.sqlite3")
    con.execute("UPDATE steps SET at = at + 5 * 365 * 86400")
    con.commit()


def locked_then_free(folder: Path) -> None:
    run_quietly(folder, FAST, CLEAR)
    holder = sqlite3.connect(folder / "data" / "history.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    run_quietly(folder, FAST, "no\n" + CLEAR)
    holder.execute("ROLLBACK")


def run_quietly(folder: Path, args: list[str], stdin: str) -> None:
    subprocess.run([*EXE, *args], input=stdin, text=True, capture_output=True,
                   env=environment(folder), timeout=120)


ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + "routines: *i\n"

CASES = [
    Case("hear 1 s of silence", ["hear", "silence.wav"],
         prepare=write("silence.wav", wav(16000, bytes(32000)))),
    Case("hear a header-only WAV", ["hear", "empty.wav"],
         prepare=write("empty.wav", wav(16000, b""))),
    Case("hear a WAV at 0 Hz", ["hear", "zero.wav"], prepare=write("zero.wav", wav(0)), codes=(1,)),
    Case("hear a WAV cut mid-sample", ["hear", "odd.wav"],
         prepare=write("odd.wav", wav(16000, bytes(3200))[:-1])),
    Case("hear a text file", ["hear", "notes.wav"], prepare=write("notes.wav", "not audio"),
         codes=(1,)),
    Case("hear a missing file", ["hear", "gone.wav"], codes=(1,)),
    Case("--answers a text file", ["start", "--answers", "notes.wav"], "no\n",
         write("notes.wav", "not audio"), codes=(1,)),
    Case("--answers at 0 Hz", ["start", "--answers", "zero.wav"], "no\n",
         write("zero.wav", wav(0)), codes=(1,)),
    Case("validate hold .nan", ["routines", "validate", "r.yaml"],
         prepare=write("r.yaml", ROUTINE.replace("{DOSE}", "{hold: .nan}")), codes=(3,)),
    Case("validate reps 2.7", ["routines", "validate", "r.yaml"],
         prepare=write("r.yaml", ROUTINE.replace("{DOSE}", "{reps: 2.7}")), codes=(3,)),
    Case("validate an alias bomb", ["routines", "validate", "r.yaml"],
         prepare=write("r.yaml", ALIAS_BOMB), codes=(3,)),
    Case("validate 20,000 nested [", ["routines", "validate", "r.yaml"],
         prepare=write("r.yaml", "routines: " + "[" * 20000), codes=(3,)),
    Case("validate a list as a key", ["routines", "validate", "r.yaml"],
         prepare=write("r.yaml", "? [a, b]\n: c\n"), codes=(3,)),
    Case("validate empty routines:", ["routines", "validate", "r.yaml"],
         prepare=write("r.yaml", "routines:\n"), codes=(3,)),
    Case("validate 2 MB", ["routines", "validate", "r.yaml"],
         prepare=write("r.yaml", "# x\n" * 500_000), codes=(3,)),
    Case("a bad file among my routines", ["routines", "list"],
         prepare=write("config/voicecoach/routines/broken.yaml", "routines: [\n")),
    Case("start, unknown routine", ["start", "--text", "--routine", "nosuch"], "no\n", codes=(3,)),
    Case("--time-scale nan", ["start", "--text", "--time-scale", "nan"], codes=(2,)),
    Case("--time-scale inf", ["start", "--text", "--time-scale", "inf"], codes=(2,)),
    Case("--data-dir ''", ["history", "--data-dir", ""], codes=(2,)),
    Case("--transcript /dev/full", [*FAST, "--transcript", "/dev/full"], CLEAR),
    Case("--speak-to /dev/full", [*FAST[:1], "--speak-to", "/dev/full", "--no-history"], "no\n",
         codes=(1,)),
    Case("--speak-to a missing folder", ["start", "--speak-to", "no/such/x.wav"], "no\n",
         codes=(1,)),
    Case("config set voice with a newline", ["config", "set", "voice", "en\nrate = 999"],
         codes=(2,)),
    Case("config set voice en-uz", ["config", "set", "voice", "en-uz"], codes=(1,)),
    Case("config set routine nosuch", ["config", "set", "routine", "nosuch"], codes=(3,)),
    Case("serve --voice nosuch", ["serve", "--voice", "nosuch", "--once"], codes=(1,)),
    Case("a damaged config.toml, start", FAST, CLEAR, write("config.toml", "rate = = 3\n")),
    Case("a damaged config.toml, config set", ["config", "set", "rate", "140"],
         prepare=write("config.toml", "rate = = 3\n"), codes=(2,)),
    Case("rate = 999 in config.toml", FAST, CLEAR, write("config.toml", "rate = 999\n")),
    Case("a stored routine that is gone", ["start", "--text"], "no\n",
         write("config.toml", 'routine = "gone"\n'), codes=(3,)),
    Case("a corrupt history", FAST, CLEAR, write("data/history.sqlite3", b"junk" * 1000)),
    Case("history from a corrupt file", ["history"],
         prepare=write("data/history.sqlite3", b"junk" * 1000), codes=(1,)),
    Case("history with a date of 1e300", ["history"], prepare=damaged_date),
    Case("history --say with a date of 1e300", ["history", "--say", "--text"],
         prepare=damaged_date),
    Case("a full screening dated 5 years ahead", FAST, CLEAR, future_screening),
    Case("history --csv a --plot b", ["history", "--csv", "a.csv", "--plot", "b.png"],
         prepare=lambda folder: run_quietly(folder, FAST, CLEAR)),
    Case("the history locked all session", FAST, CLEAR, lambda folder: run_quietly(
        folder, FAST, CLEAR), lock_history=True),
    Case("then the next session adds it back", FAST, "no\n" + CLEAR, locked_then_free),
    Case("SIGTERM mid-session", ["start", "--text"], "", signal_after=(signal.SIGTERM, 3.0),
         codes=(143,)),
    Case("SIGHUP mid-session", ["start", "--text"], "", signal_after=(signal.SIGHUP, 3.0),
         codes=(129,)),
    Case("SIGQUIT mid-session", ["start", "--text"], "", signal_after=(signal.SIGQUIT, 3.0),
         codes=(131,)),
    Case("typed answers run out", ["start", "--text"], "no\n", codes=(4,)),
    Case("an unknown option", ["start", "--fast"], codes=(2,)),
]


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICECOACH_")}
    env.update(VOICECOACH_DATA_DIR=str(folder / "data"), VOICECOACH_CONFIG=str(
        folder / "config.toml"), XDG_CONFIG_HOME=str(folder / "config"), HOME=str(folder))
    return env


def run(case: Case) -> tuple[int, bool, str]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if case.prepare:
            case.prepare(folder)
        holder = None
        if case.lock_history:
            holder = sqlite3.connect(folder / "data" / "history.sqlite3", isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
        process = subprocess.Popen([*EXE, *case.args], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   cwd=folder, env=environment(folder))
        if case.signal_after:
            sig, after = case.signal_after
            time.sleep(after)
            process.send_signal(sig)
            out, err = process.communicate(timeout=60)
        else:
            out, err = process.communicate(case.stdin, timeout=300)
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    text = err + out
    broken = "Traceback" in text or "terminate called" in text or process.returncode < 0
    said = next((line for line in err.splitlines() if line.strip()), "") or (
        out.strip().splitlines() or [""])[-1]
    return process.returncode, broken, said


EXE: list[str] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voicecoach", default=f"{sys.executable} -m voicecoach")
    parser.add_argument("-k", default="", help="only the cases whose name holds this")
    options = parser.parse_args()
    EXE[:] = shlex.split(options.voicecoach)
    clean = tried = 0
    for case in CASES:
        if options.k not in case.name:
            continue
        code, broken, said = run(case)
        tried += 1
        ok = code in case.codes and not broken
        clean += ok
        print(f"{'ok ' if ok else 'BAD'}  exit {code:<3}  {case.name}: {said[:110]}")
    print(f"\n{tried} bad inputs tried: {clean} ended cleanly (the documented exit code, one "
          f"clear message, no traceback), {tried - clean} did not.")
    sys.exit(0 if clean == tried else 1)


if __name__ == "__main__":
    main()
