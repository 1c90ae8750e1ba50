"""A named step of mail processing (like a GNU Mailman pipeline handler)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .state import MailState


@dataclass
class Step:
    """One small unit of processing: a name (in logs and in the row's error),
    what it does in Chinese (for staff) and English, and `run(state)`.

    `transaction`: the step works in the one ledger transaction of the mail's
    result (its decision, its record and its receipt commit together or not at all).
    """

    name: str
    zh: str
    description: str
    run: Callable[[MailState], None]
    transaction: bool = False

    def __repr__(self) -> str:
        return f"<Step {self.name}>"


class StepFailed(Exception):
    """A step raised: the failure, attributed to the step it happened in."""

    def __init__(self, step: Step | str, cause: BaseException, zh: str = "") -> None:
        self.step = step.name if isinstance(step, Step) else step
        self.zh = step.zh if isinstance(step, Step) else zh or step
        self.cause = cause
        super().__init__(f"{self.step}: {type(cause).__name__}: {cause}")
