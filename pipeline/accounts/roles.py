"""Who may do what: the one role table.

Every console route names the permission it needs (web/http.py `Area`), the
pages show only what the signed-in role may use, and `run.py user add --role`
offers these roles. To give a role a new right, change `GRANTS` here and
nothing else.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def zh(self) -> str:
        return ROLE_ZH[self]


ROLE_ZH: dict[Role, str] = {
    Role.STAFF: "工作人员",
    Role.REVIEWER: "评审专家",
    Role.ADMIN: "管理员",
}

# What each role is for, as `run.py user add --help` and the accounts page say it.
ROLE_HELP: dict[Role, str] = {
    Role.STAFF: "处理报送、回复来信、催报、上报",
    Role.REVIEWER: "只能给已受理的账号评分",
    Role.ADMIN: "工作人员的全部功能，另可管理控制台账号",
}


class Permission(StrEnum):
    """One thing a person does in the console; `zh` completes "不能……"."""

    OVERVIEW = "overview"  # the overview: every unit's state and the to-do list
    READ_MAIL = "read_mail"  # every message, its sender, subject, text and raw mail; the audit log
    DECIDE = "decide"  # accept, return, reject…, correct a field, assign a unit
    REPLY = "reply"  # answer a unit's letter
    REMIND = "remind"  # send reminders
    PACKET = "packet"  # select accounts for the next level and send the packet
    RESEND = "resend"  # send a failed mail again, to a corrected address if need be
    VIEW_ACCEPTED = "view_accepted"  # open an accepted nomination and its files
    VIEW_SCORES = "view_scores"  # the scoring board and 评分表.xlsx
    SCORE = "score"  # enter one's own scores
    OWN_ACCOUNT = "own_account"  # sign out, change one's own password
    MANAGE_ACCOUNTS = "manage_accounts"  # add, reset, disable console accounts

    @property
    def zh(self) -> str:
        return PERMISSION_ZH[self]


PERMISSION_ZH: dict[Permission, str] = {
    Permission.OVERVIEW: "查看概览",
    Permission.READ_MAIL: "查看来信和处理记录",
    Permission.DECIDE: "处理或更正报送",
    Permission.REPLY: "回复来信",
    Permission.REMIND: "催报",
    Permission.PACKET: "选定上报账号或发送上报材料包",
    Permission.RESEND: "重新发送未发出的邮件",
    Permission.VIEW_ACCEPTED: "查看已受理的推荐",
    Permission.VIEW_SCORES: "查看评分",
    Permission.SCORE: "打分（只有评审专家打分）",
    Permission.OWN_ACCOUNT: "修改自己的密码",
    Permission.MANAGE_ACCOUNTS: "管理控制台账号（只有管理员可以）",
}

_STAFF = frozenset(
    {
        Permission.OVERVIEW,
        Permission.READ_MAIL,
        Permission.DECIDE,
        Permission.REPLY,
        Permission.REMIND,
        Permission.PACKET,
        Permission.RESEND,
        Permission.VIEW_ACCEPTED,
        Permission.VIEW_SCORES,
        Permission.OWN_ACCOUNT,
    }
)

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.STAFF: _STAFF,
    # Reviewers see accepted nominations and score them; not the mail, its senders or other units' work.
    Role.REVIEWER: frozenset(
        {Permission.VIEW_ACCEPTED, Permission.VIEW_SCORES, Permission.SCORE, Permission.OWN_ACCOUNT}
    ),
    # The administrator is a member of staff who also manages the console's accounts.
    Role.ADMIN: _STAFF | {Permission.MANAGE_ACCOUNTS},
}


def may(role: str, permission: str) -> bool:
    """Whether `role` has `permission`. An unknown role has none; an unknown
    permission is a programming mistake (a typo in a page) and raises ValueError."""
    wanted = Permission(permission)
    try:
        return wanted in GRANTS[Role(role)]
    except (ValueError, KeyError):
        return False


def role_zh(role: str) -> str:
    try:
        return Role(role).zh
    except ValueError:
        return role
