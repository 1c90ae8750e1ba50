"""The intake steps, in the order they run (like a GNU Mailman pipeline).

Each module is one step: a `STEP` with a name, a Chinese and an English line,
and `run(state)`. Steps don't call each other; they read and add to the
`MailState`. The runner (../runner.py) applies them in order.
"""

from __future__ import annotations

from ..step import Step
from . import (
    answer,
    apply_reply,
    apply_rules,
    file_case,
    parse,
    read_attachments,
    read_form,
    record,
    store_raw,
)

PIPELINE: tuple[Step, ...] = (
    store_raw.STEP,
    parse.STEP,
    read_attachments.STEP,
    read_form.STEP,
    file_case.STEP,
    apply_rules.STEP,
    apply_reply.STEP,
    record.STEP,
    answer.STEP,
)


def step(name: str) -> Step:
    """The step called `name` (tests replace its `run` to inject a failure)."""
    for s in PIPELINE:
        if s.name == name:
            return s
    raise KeyError(name)
