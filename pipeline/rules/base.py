"""What a rule sees and what it may conclude.

Each rule is a small named unit (as GNU Mailman's rules are): a code, the
Chinese sentence staff and units read, and `check()`. The engine runs them in
order; see engine.py for how outcomes combine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..config import Config
from ..model import Attachment, AttachmentKind, Document, FormResult, ParsedMessage, Problem, Status


@dataclass
class FormFound:
    """One 推荐表 found among the attachments, already normalized and validated."""

    attachment: Attachment
    form: FormResult
    normalized: dict
    problems: list[Problem]
    identity: str  # the campaign's identity label (FormSpec.identity_label): names the nominee

    @property
    def nominee(self) -> str:
        """The value naming the nominee (the account's name in 百佳账号)."""
        return self.form.fields.get(self.identity, "") or ""

    @property
    def account_key(self) -> str:
        return account_key(self.nominee)

    @property
    def unsure(self) -> bool:
        """The nominee's name was read from a scan and a person must still check it."""
        return self.form.is_scan and self.identity in self.form.uncertain


def account_key(name: str) -> str:
    """Compare account names ignoring width, case and spacing."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


@dataclass
class ActiveSubmission:
    """A submission of the same unit that still counts against the quota."""

    case_no: str
    account_key: str
    status: Status
    unsure: bool = False  # its nominee's name was read from a scan and is not checked yet


def versions_of(key: str, unsure: bool, active: Sequence[ActiveSubmission]) -> list[ActiveSubmission] | None:
    """The unit's active submissions that a submission naming `key` is a new version of.

    Names are compared as account_key does, except a name read from a scan that staff
    have not checked (`unsure`): it may be a misreading, so it names no account of its
    own. A unit that sends the Word file after a photo we could not read (its receipt
    asks for it) is sending the same nomination again, not a second one. So a sure
    name is a new version of its own account and of every unsure one; an unsure name
    of its own account, else of the one account the unit has active. None when it
    has several: which one it is, staff tell once they have checked the name."""
    same = [a for a in active if a.account_key == key]
    rest = [a for a in active if a.account_key != key]
    if not unsure:
        return same + [a for a in rest if a.unsure]
    if same or len({a.account_key for a in rest}) <= 1:
        return same or rest
    return None


def replaced_by(key: str, unsure: bool, active: Sequence[ActiveSubmission]) -> list[ActiveSubmission]:
    """The versions (versions_of) a new submission replaces. Never a name read for sure on
    the strength of an unsure one: a photo we could not read does not push out the Word
    file sent before it; that stays beside it (within the quota) for staff to compare."""
    found = versions_of(key, unsure, active) or []
    return [a for a in found if not unsure or a.unsure or a.account_key == key]


@dataclass
class Context:
    config: Config
    message: ParsedMessage
    arrival: datetime
    unit: str | None
    forms: list[FormFound]
    files: list[tuple[Attachment, AttachmentKind, Document | None]]
    material_problems: list[Problem]
    active: list[ActiveSubmission]  # the unit's submissions that count against its quota
    duplicate_of: str | None = None  # case number of the first copy of this Message-ID
    related_case: str | None = None  # the case a reply refers to
    late_allowed: bool = False
    quota: int = 1  # accounts this unit may nominate

    @property
    def primary(self) -> FormFound | None:
        """The document that is most completely the 推荐表 (not the first one with a label)."""
        if not self.forms:
            return None
        return max(self.forms, key=lambda f: (f.form.score, f.form.labels_found))

    @property
    def has_documents(self) -> bool:
        return bool(self.files) or bool(self.message.big_links)


@dataclass
class Outcome:
    """A rule's conclusion. `final` stops the chain; otherwise problems add up."""

    status: Status | None
    problems: list[Problem] = field(default_factory=list)
    final: bool = False


@dataclass(frozen=True)
class Rule:
    code: str
    description: str  # Chinese: what the rule checks, shown in docs and digests
    check: Callable[[Context], Outcome | None]
    # Codes of the problems this rule records, when it depends on facts staff can
    # change later (the unit, lateness allowed, the unit's other submissions, a
    # field's value): staff re-assessment runs these rules again (engine.recheck).
    restates: frozenset[str] = frozenset()
