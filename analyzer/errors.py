"""Errors a user can cause, each with the exit code the CLI turns it into (docs/exit-codes.md)."""

from __future__ import annotations


class SpendError(Exception):
    """A failure the user can act on: printed as one line, exit code 1."""

    exit_code = 1


class UsageError(SpendError):
    """A bad flag or argument combination: exit code 2."""

    exit_code = 2


class StoreBusy(SpendError):
    """Another process holds the `.duckdb` file: exit code 75 (EX_TEMPFAIL, "try later")."""

    exit_code = 75


class BadInput(SpendError):
    """A file that cannot be read as asked (bad rate card, undetectable format, missing file)."""


class BadBill(SpendError):
    """A bill `reconcile` cannot read (or compare: another currency): exit code 2, nothing stored
    changes. The message names the file, the line (or record) and the reason."""

    exit_code = 2


class GuardRailTripped(SpendError):
    """Data was stored, but a cron guard rail (coverage, reject rate) was not met."""


class Interrupted(SpendError):
    """Ctrl-C (SIGINT): the run stopped, nothing of it was stored; exit code 130 (128 + SIGINT)."""

    exit_code = 130

    def __init__(self, message: str = "interrupted"):
        super().__init__(message)
