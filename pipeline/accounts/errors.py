"""Account problems, told in Chinese."""

from __future__ import annotations

from ..errors import UserFacingError


class AccountError(UserFacingError):
    """A console-account problem (a name taken, a password too short…)."""


class TooManyAttempts(AccountError):
    """Sign-in refused without checking the password: the attempt limit is reached."""

    def __init__(self) -> None:
        super().__init__("登录失败次数过多，请 15 分钟后再试。")
