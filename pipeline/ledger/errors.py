"""Why the program refuses to start on this ledger, in words staff can act on.

Each is a UserFacingError: the command line prints the one Chinese sentence
and exits non-zero; details go to the log file.
"""

from __future__ import annotations

from ..errors import UserFacingError

RESTORE_HINT = (
    "请先停止所有正在运行的 once/serve，然后任选其一：从备份恢复台账（见 README“备份与恢复”）；"
    "或运行 python run.py rebuild，从原始邮件（data/raw）和发件记录重建台账（受理编号不变，不会重复发信）。"
)


class LedgerError(UserFacingError):
    """The ledger cannot be used as it is."""

    exit_code = 4


class LedgerDamaged(LedgerError):
    """The database file is not a database any more, or fails its integrity check."""


class LedgerUnreachable(LedgerError):
    """The database server cannot be reached (PostgreSQL) or the file cannot be opened."""


class LedgerBusy(LedgerError):
    """Another process has held the database's write lock for longer than we wait at start."""


class LedgerEmpty(LedgerError):
    """An empty ledger beside a raw store / outbox that says mail was processed."""


class LedgerBehind(LedgerError):
    """The ledger lacks what the journal says it once held (restored from an old backup?)."""


class StaffWorkBehind(LedgerBehind):
    """The ledger lacks staff-journal entries (decisions, corrections, accounts…)."""


class LedgerNewer(LedgerError):
    """The ledger was migrated by a newer release than this code."""


class LedgerUpgradeFailed(LedgerError):
    """A migration failed; its transaction was rolled back, the ledger is as it was."""


class RebuildUnfinished(LedgerError):
    """A rebuild started and did not finish: nothing may run until it does."""


def short_db_error(exc: BaseException) -> str:
    """What the database's trouble is, in a few Chinese words (its own words go to the log)."""
    from ..errors import describe

    return describe(exc)
