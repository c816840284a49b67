"""Settings that persist: a TOML file in the user's config folder, then VOICECOACH_* variables,
then command-line flags, each overriding the one before."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from voicecoach.errors import ExitCode, VoicecoachError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

CONFIG_VARIABLE = "VOICECOACH_CONFIG"


class SettingsError(VoicecoachError):
    """An unknown key or a bad value, in the file, a variable or `config set`."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Settings:
    """What a person can set once and keep; see DESCRIPTIONS for each field."""

    rate: int = 160
    volume: float = 1.0
    voice: str = ""
    verbosity: str = "full"
    earcons: bool = True
    print_speech: bool = True
    mic_device: int = -1
    routine: str = ""
    tts: str = ""
    asr: str = ""

    def microphone(self, asked: int | None) -> int | None:
        """The microphone device: the one asked for, else the stored one (None: the system's
        default)."""
        if asked is not None:
            return asked
        return None if self.mic_device < 0 else self.mic_device


DESCRIPTIONS = {
    "rate": "speech rate in words per minute, 80 to 400",
    "volume": "speech volume, 0.1 to 1.0",
    "voice": ('espeak-ng voice id, or piper:joe for the natural voice ("" for the default; '
              'voicecoach voices lists them)'),
    "verbosity": "full (every cue) or brief (no reminders during holds)",
    "earcons": "true or false: tones when listening starts and when an answer is understood",
    "print_speech": ("true or false: print each line as it is spoken (false when a screen "
                     "reader would read it a second time)"),
    "mic_device": "microphone device index, -1 for the system default",
    "routine": 'the routine voicecoach start runs ("" for the built-in default)',
    "tts": ('a Wyoming text-to-speech server in your home, wyoming://HOST:PORT; when set, '
            'the text of everything the coach says is sent to it ("" for none: nothing '
            'leaves this machine)'),
    "asr": ('a Wyoming speech-to-text server in your home, wyoming://HOST:PORT; when set, '
            'the recording of an answer the coach is unsure of is sent to it ("" for none: '
            'nothing leaves this machine)'),
}


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}")
        return value
    return parse


def _volume(text: str) -> float:
    value = float(text)
    if not 0.1 <= value <= 1.0:
        raise ValueError("must be from 0.1 to 1.0")
    return value


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"must be one of: {', '.join(options)}")
        return text
    return parse


def _text(text: str) -> str:
    """Plain text on one line (a value with a newline once broke the settings file)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError("must be plain text, without line breaks or control characters")
    return text


def _service(text: str) -> str:
    """"" or wyoming://HOST:PORT."""
    text = _text(text).strip()
    if text and not re.fullmatch(r"wyoming://[^\s/:]+(?::\d{1,5})", text):
        raise ValueError('must be wyoming://HOST:PORT (for example wyoming://192.168.1.20:10200)'
                         ', or "" for none')
    return text


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise ValueError("must be true or false")


PARSERS: dict[str, Callable[[str], object]] = {
    "rate": _int_in(80, 400), "volume": _volume, "voice": _text,
    "verbosity": _choice("full", "brief"), "earcons": _bool, "print_speech": _bool,
    "mic_device": _int_in(-1, 1000), "routine": _text, "tts": _service, "asr": _service,
}
KEYS = tuple(f.name for f in fields(Settings))


def describe() -> str:
    """Every key with its meaning, for error messages and `config show`."""
    return "\n".join(f"  {key}: {DESCRIPTIONS[key]}" for key in KEYS)


def config_path() -> Path:
    """$VOICECOACH_CONFIG, else $XDG_CONFIG_HOME/voicecoach/config.toml (~/.config)."""
    if custom := os.environ.get(CONFIG_VARIABLE):
        return Path(custom)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "voicecoach" / "config.toml"


def parse(key: str, value: str, where: str) -> object:
    if key not in PARSERS:
        raise SettingsError(f"{where}: unknown setting {key!r}; the settings are:\n{describe()}")
    try:
        return PARSERS[key](str(value))
    except ValueError as exc:
        reason = str(exc) if "must" in str(exc) else f"not a valid {key}"
        raise SettingsError(f"{where}: {key} = {value!r}: {reason}") from None


BACKUP_SUFFIX = ".old"  # `config reset` keeps the file it replaces under this name


def fix_hint(path: Path) -> str:
    return (f"fix it in a text editor, or run `voicecoach config reset` (which keeps the old "
            f"file as {path.name}{BACKUP_SUFFIX})")


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise SettingsError(f"{path}: cannot read the settings ({why}); {fix_hint(path)}"
                            ) from None


def read_file(path: Path) -> dict[str, object]:
    """The settings stored in the file (empty when there is no file)."""
    data = _read_toml(path)
    try:
        return {key: parse(key, _as_text(value), str(path)) for key, value in data.items()}
    except SettingsError as exc:
        raise SettingsError(f"{exc}; {fix_hint(path)}") from None


def read_file_leniently(path: Path) -> tuple[dict[str, object], list[str]]:
    """The settings in the file that can be used, and a problem line for each that cannot (a
    damaged settings file must not stop a session: its settings take their defaults)."""
    try:
        data = _read_toml(path)
    except SettingsError as exc:
        return {}, [f"{exc}. Every setting takes its default for now."]
    good: dict[str, object] = {}
    problems = []
    for key, value in data.items():
        try:
            good[key] = parse(key, _as_text(value), str(path))
        except SettingsError as exc:
            problems.append(f"{exc}; it takes its default for now ({fix_hint(path)}).")
    return good, problems


def _as_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def from_environment(env: Mapping[str, str]) -> dict[str, object]:
    found = {}
    for key in KEYS:
        name = f"VOICECOACH_{key.upper()}"
        if name in env:
            found[key] = parse(key, env[name], name)
    return found


def load(env: Mapping[str, str] | None = None, path: Path | None = None) -> tuple[Settings, dict]:
    """The settings in force and where each came from (default, file, environment)."""
    env = os.environ if env is None else env
    path = path or config_path()
    stored, environment = read_file(path), from_environment(env)
    return _combine(stored, environment)


def load_for_session(env: Mapping[str, str] | None = None,
                     path: Path | None = None) -> tuple[Settings, list[str]]:
    """The settings for a session, and the problems met: what cannot be read from the file
    takes its default (a session goes on); a bad environment variable is still refused, as a
    bad flag is."""
    env = os.environ if env is None else env
    stored, problems = read_file_leniently(path or config_path())
    settings, _ = _combine(stored, from_environment(env))
    return settings, problems


def _combine(stored: dict[str, object], environment: dict[str, object]) -> tuple[Settings, dict]:
    settings = replace(Settings(), **{**stored, **environment})
    sources = {key: "environment" if key in environment else "file" if key in stored
               else "default" for key in KEYS}
    return settings, sources


def toml_value(value: object) -> str:
    """A setting's value as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    return str(value)


def write(path: Path, values: Mapping[str, object]) -> None:
    """Store `values` as TOML (only what differs from the defaults is worth keeping)."""
    lines = ["# voicecoach settings: voicecoach config set KEY VALUE changes them"]
    lines += [f"{key} = {toml_value(values[key])}" for key in KEYS if key in values]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot write the settings ({exc.strerror or exc})") from None
