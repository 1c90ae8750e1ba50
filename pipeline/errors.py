"""Errors whose message is meant for the person at the terminal or in the browser.

Raise `UserFacingError` (or a subclass) with a Chinese sentence that says what
went wrong and what to do; the command line prints that one line (the
traceback goes to the log file) and exits with `exit_code`.
"""

from __future__ import annotations

import errno


class UserFacingError(Exception):
    """A problem to report in one Chinese sentence, not as a traceback."""

    exit_code: int = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


# The machine's trouble, not one mail's: a full disk or quota, a read-only or failing
# disk, no permission on the data folder, no descriptors or memory left.
MACHINE_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EIO,
        errno.EACCES,
        errno.EPERM,
        errno.EMFILE,
        errno.ENFILE,
        errno.ENOMEM,
    }
)


def is_machine_trouble(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is the machine's or the database's
    trouble, which every mail would hit: processing stops and the claim waits
    for the next run. Anything else (a name too long for the disk, a parser
    bug, a value the database refuses) is one mail's failure: that mail is
    retried and then handed to staff, and the mail behind it goes on."""
    from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno in MACHINE_ERRNOS:
            return True
        if isinstance(cur, DBAPIError) and not isinstance(cur, IntegrityError | DataError):
            return True  # locked, unreachable, damaged or full database
        if isinstance(cur, MemoryError):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


# ---------------------------------------------------------------- describe

# What an OS error means to the person at the terminal; the errno's English text,
# the file name and the path stay in the log.
_ERRNO_ZH = {
    errno.ENAMETOOLONG: "文件名或路径太长",
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有权限访问文件或文件夹",
    errno.EPERM: "没有权限执行这个操作",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EFBIG: "文件超过了系统允许的大小",
    errno.EROFS: "磁盘是只读的",
    errno.EIO: "磁盘读写出错",
    errno.EEXIST: "文件已经存在",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中的某一级不是文件夹",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.EBUSY: "文件正被占用",
    errno.EMFILE: "打开的文件太多",
    errno.ENFILE: "系统打开的文件太多",
    errno.ENOMEM: "内存不足",
    errno.ECONNREFUSED: "连接被拒绝：服务器没有运行，或地址、端口不对",
    errno.ECONNRESET: "连接被对方中断",
    errno.ECONNABORTED: "连接被中断",
    errno.ETIMEDOUT: "连接超时",
    errno.EHOSTUNREACH: "找不到通往服务器的网络路径",
    errno.ENETUNREACH: "网络不通",
    errno.ENETDOWN: "网络不可用",
    errno.EPIPE: "连接已被对方关闭",
    errno.EADDRINUSE: "端口已被占用",
    errno.EADDRNOTAVAIL: "本机没有这个地址",
}

# Words a database driver says (SQLite, PostgreSQL/psycopg), matched in lower case.
_DATABASE_ZH = (
    ("database disk image is malformed", "台账数据库文件已损坏"),
    ("file is not a database", "台账文件不是数据库（已损坏或被覆盖）"),
    ("database or disk is full", "磁盘空间不足，台账数据库无法写入"),
    ("database is locked", "台账正被另一个进程长时间锁住"),
    ("unable to open database file", "无法打开台账文件（文件夹不存在或没有权限）"),
    ("disk i/o error", "读写台账文件时磁盘出错"),
    ("readonly database", "台账文件是只读的"),
    ("no such table", "台账缺少数据表"),
    ('relation "', "台账缺少数据表"),
    ("connection refused", "连接被拒绝：数据库服务没有运行，或地址、端口不对"),
    ("password authentication failed", "数据库账号或密码不正确"),
    ("no password supplied", "数据库需要密码，但没有提供"),
    ("does not exist", "数据库或数据库账号不存在"),
    ("timeout expired", "连接数据库服务器超时"),
    ("could not translate host name", "找不到数据库服务器（主机名无法解析）"),
    ("server closed the connection", "数据库服务器中断了连接"),
    ("terminating connection", "数据库服务器中断了连接"),
    ("too many connections", "数据库服务器的连接数已满"),
)


def describe(exc: BaseException) -> str:
    """A few Chinese words for what went wrong, to put inside a Chinese sentence.

    Never the exception's own words: "[Errno 36] File name too long: '<900-byte
    path>'", "Connection refused" or "database disk image is malformed" in a
    Chinese sentence tell staff nothing they can act on. Callers log the
    exception itself (the detail is there). A UserFacingError is already
    Chinese and is returned as it is. Servers' replies (SMTP, IMAP) are not
    exceptions' words: the code that talks to a server quotes them itself,
    marked as the server's.
    """
    import socket
    import ssl

    from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

    if isinstance(exc, UserFacingError):
        return str(exc).rstrip("。")
    if isinstance(exc, IntegrityError):
        return "与台账中已有的记录冲突"
    if isinstance(exc, DBAPIError | SQLAlchemyError):
        words = str(getattr(exc, "orig", None) or exc).lower()
        for needle, zh in _DATABASE_ZH:
            if needle in words:
                return zh
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, OSError):
            return describe(cause)
        return "台账数据库出错"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "服务器证书校验失败（请核对主机名与端口）"
    if isinstance(exc, ssl.SSLError):
        return "加密连接失败（请核对端口以及 SSL/STARTTLS 设置）"
    if isinstance(exc, socket.gaierror):
        return "找不到服务器（主机名无法解析，请核对地址和网络）"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "连接超时"
    if isinstance(exc, OSError):
        if exc.errno in _ERRNO_ZH:
            return _ERRNO_ZH[exc.errno]
        if isinstance(exc, ConnectionError):
            return "网络连接出错"
        return "读写文件或网络时出错"
    if isinstance(exc, MemoryError):
        return "内存不足"
    if isinstance(exc, UnicodeError):
        return "文字编码无法识别"
    return "程序内部错误"
