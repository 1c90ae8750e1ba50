"""Console accounts: who may sign in, with which role, and what each role may do.

Below staff/ and web/: the command line (`run.py user …`), the console and a
rebuild's journal replay all use this package, and it uses only the ledger.

- roles.py     the one role table (Role, Permission, GRANTS)
- users.py     add, reset, disable, list, restore from the journal
- passwords.py argon2id hashing and the one password check
- limiter.py   the attempt limit, atomic per account and per client
- signin.py    every password check, inside the limit
- sessions.py  signed-in browsers and their CSRF tokens
"""

from .errors import AccountError, TooManyAttempts
from .passwords import MIN_PASSWORD
from .roles import GRANTS, ROLE_HELP, ROLE_ZH, Permission, Role, may, role_zh
from .sessions import Session, end_session, load_session, start_session
from .signin import change_own_password, check_password
from .users import (
    Account,
    User,
    add_user,
    list_users,
    remove_user,
    reset_password,
    restore_account,
)

__all__ = [
    "GRANTS",
    "MIN_PASSWORD",
    "ROLE_HELP",
    "ROLE_ZH",
    "Account",
    "AccountError",
    "Permission",
    "Role",
    "Session",
    "TooManyAttempts",
    "User",
    "add_user",
    "change_own_password",
    "check_password",
    "end_session",
    "list_users",
    "load_session",
    "may",
    "remove_user",
    "reset_password",
    "restore_account",
    "role_zh",
    "start_session",
]
