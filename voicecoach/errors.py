"""The project's one error base class and the exit codes the CLI turns errors into."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, so scripts can tell outcomes apart."""

    OK = 0
    ERROR = 1
    USAGE = 2
    CONTENT = 3
    INPUT_ENDED = 4
    HUNG_UP = 129  # SIGHUP: the terminal or the SSH connection closed
    INTERRUPTED = 130
    QUIT = 131  # SIGQUIT: Ctrl-backslash
    TERMINATED = 143


class VoicecoachError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_code: ExitCode = ExitCode.ERROR


class ContentError(VoicecoachError):
    """A routine, exercise or triage file is missing or invalid."""

    exit_code = ExitCode.CONTENT

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class UnknownRoutineError(ContentError):
    """The routine asked for does not exist."""


class InputEnded(VoicecoachError):
    """The answer stream (keyboard, pipe or file list) ran out."""

    exit_code = ExitCode.INPUT_ENDED


class AudioOutputError(VoicecoachError):
    """Speech could not be played (no audio device, no player, synthesis failed)."""


class AudioInputError(VoicecoachError):
    """No microphone could be opened or read."""


class UserStopped(VoicecoachError):
    """The user asked to stop the session."""

    exit_code = ExitCode.OK
