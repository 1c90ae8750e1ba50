"""What travels beside one message through the intake steps.

As in GNU Mailman (a message and its `msgdata`), the steps never call each
other: each reads what earlier steps left in the `MailState` and adds its
own part. `Intake` (runner.py) owns the state's life: it creates it, claims
the message, opens the one transaction of the last steps and records failures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ..config import Config
from ..ledger import Ledger, MessageRow
from ..model import Attachment, AttachmentKind, Document, FormResult, ParsedMessage, Problem
from ..roster import Roster
from ..rules import Context, Decision, FormFound

FileItem = tuple[Attachment, AttachmentKind, Document | None]


@dataclass
class IntakeEnv:
    """What every message's steps share: the installation, not the message."""

    config: Config
    ledger: Ledger
    converter: object | None = None
    roster: Roster = field(init=False)
    own: frozenset[str] = field(init=False)  # our own addresses: never answered

    def __post_init__(self) -> None:
        self.roster = Roster(self.config.units)
        boxes = (b.user.lower() for b in self.config.mailboxes if b.user)
        self.own = frozenset({self.config.smtp.from_addr.lower(), *boxes} - {""})


@dataclass
class FileRead:
    """One attachment as the read step left it."""

    attachment: Attachment
    kind: AttachmentKind
    doc: Document | None  # None: not read (a picture or video, unless it might be the form)
    form: FormResult | None = None  # what the form reader found in `doc`


@dataclass
class Submission:
    """One nominee of a mail: its ledger row and what the rules decided for it.

    A mail usually is one submission; a packet of several accounts from the
    level below is one per account (rules/accounts.py), each with its own row."""

    row: MessageRow
    forms: list[FormFound]
    files: list[FileItem]
    material_problems: list[Problem]
    context: Context | None = None
    decision: Decision | None = None
    superseded: list[str] = field(default_factory=list)  # older versions this one replaced


@dataclass
class MailState:
    """One message on its way through the steps."""

    env: IntakeEnv
    arrival: datetime
    raw: bytes | None = None  # None until store_raw loads the kept copy (a resumed claim)
    raw_sha256: str = ""
    raw_path: str = ""
    row_id: int | None = None  # the claim
    attempts: int = 0
    # parse
    parsed: ParsedMessage | None = None
    # read_attachments
    reads: list[FileRead] = field(default_factory=list)
    # read_form
    files: list[FileItem] = field(default_factory=list)
    forms: list[FormFound] = field(default_factory=list)
    material_problems: list[Problem] = field(default_factory=list)
    # the transaction: file_case, apply_rules, record, answer
    session: Session | None = None
    row: MessageRow | None = None
    unit: str | None = None
    duplicate_of: str | None = None
    related_case: str | None = None
    late_allowed: bool = False
    quota: int = 1
    submissions: list[Submission] = field(default_factory=list)
    # apply_reply: what a reply's "栏目：内容" lines did to its case (intake/replies.py), and
    # for a mail that carries files, what the receipt says about the lines it did not need
    reply: object | None = None  # replies.ReplyResult
    reply_notes: list[str] = field(default_factory=list)
    # Run by the runner once the transaction committed (journal lines about it).
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def config(self) -> Config:
        return self.env.config

    def begin_transaction(self, session: Session) -> None:
        """A fresh start for the transaction's steps (they may run twice: see runner)."""
        self.session = session
        self.row = None
        self.unit = self.duplicate_of = self.related_case = None
        self.late_allowed = False
        self.quota = 1
        self.submissions = []
        self.reply = None
        self.reply_notes = []
        self.after_commit = []
