"""Apply the intake steps to one message, keeping the durability rules.

- The raw copy is kept first, then the mail is claimed (a unique row), then
  the other steps run; a process killed at any point leaves either the claim
  (processed again by whoever sees it) or the finished result.
- The steps that decide, record and answer (file_case, apply_rules, record,
  answer) run in one transaction: the decision, the record and the receipt in
  the outbox commit together or not at all.
- A failure is attributed to the step it happened in (the row's error and the
  log name it). Only the machine's trouble (errors.is_machine_trouble: a full
  disk, an unreachable database) stops processing: the claim waits for the next
  run. Any other failure is this mail's: it is tried again, and after
  MAX_ATTEMPTS it goes to staff as 待人工核对 (the raw copy is kept), never
  blocking the mail behind it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from ..case_numbers import case_number
from ..config import Config
from ..errors import is_machine_trouble
from ..ledger import Ledger, MessageRow, utcnow
from ..ledger.status_history import INTAKE, stamp
from ..ledger.unit_addresses import sender_unit
from ..message import parse_message
from ..model import ParsedMessage, Problem, RawMail, Status
from .cases import touch
from .state import IntakeEnv, MailState
from .step import Step, StepFailed
from .steps import PIPELINE

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # tries before a failing message is handed to staff
MAX_UNFINISHED = 10  # tries that never ended (the process died) before it is handed to staff
# Failures outside any step: opening or committing the transaction; the process died each time.
COMMIT, COMMIT_ZH = "commit", "写入台账"
UNFINISHED, UNFINISHED_ZH = "unfinished", "每次处理都中途中断"


def apply(step: Step, state: MailState) -> None:
    """Run one step; whatever it raises is attributed to it."""
    try:
        step.run(state)
    except Exception as exc:
        raise StepFailed(step, exc) from exc


class Intake:
    """Mail processing as named steps (steps/__init__.py: PIPELINE)."""

    def __init__(self, config: Config, ledger: Ledger, converter=None):
        self.env = IntakeEnv(config, ledger, converter)

    @property
    def config(self) -> Config:
        return self.env.config

    @property
    def ledger(self) -> Ledger:
        return self.env.ledger

    # ------------------------------------------------------------ entry points

    def handle(self, mail: RawMail) -> MessageRow | None:
        """Keep, claim and process one fetched message; None when another worker has it.

        Keeping the raw copy comes before the claim (the claim names the copy): its
        failure can only be the disk's, so it propagates and the mail stays unfetched."""
        state = MailState(self.env, mail.internaldate, raw=mail.raw)
        first, rest = PIPELINE[0], PIPELINE[1:]
        first.run(state)
        row = self.ledger.claim(mail, state.raw_sha256, state.raw_path)
        if row is None:
            return None
        state.row_id, state.attempts = row.id, row.attempts
        return self._guarded(state, rest)

    def resume_stale(self) -> int:
        """Finish messages whose worker died (or failed) after claiming them."""
        done = 0
        for stale in self.ledger.stale_claims():
            row = self.ledger.retake(stale.id)
            if row is None:
                continue
            state = MailState(
                self.env,
                row.arrival,
                raw_sha256=row.raw_sha256,
                raw_path=row.raw_path,
                row_id=row.id,
                attempts=row.attempts,
            )
            if row.attempts > MAX_UNFINISHED:
                # Started this often and never finished (the process died each time):
                # the mail itself is the likely cause. Staff get it; intake goes on.
                self.ledger.release(row.id)
                failure = StepFailed(UNFINISHED, RuntimeError("processing never finished"), UNFINISHED_ZH)
                state.attempts = MAX_ATTEMPTS
                self._record_failure(state, failure)
            else:
                self._guarded(state, PIPELINE)  # store_raw loads the kept copy
            done += 1
        return done

    # ------------------------------------------------------------ running the steps

    def _guarded(self, state: MailState, steps: tuple[Step, ...]) -> MessageRow | None:
        try:
            try:
                return self._run(state, steps)
            except StepFailed as exc:
                failure = exc
            if is_machine_trouble(failure.cause):
                raise failure.cause  # as it was raised (outside the handler: no new context)
            log.error(
                "message row %s: step %s failed (attempt %d)",
                state.row_id,
                failure.step,
                state.attempts,
                exc_info=failure.cause,
            )
            return self._record_failure(state, failure)
        finally:
            self.ledger.release(state.row_id)

    def _run(self, state: MailState, steps: tuple[Step, ...]) -> MessageRow:
        """The steps before the transaction, then the transaction's steps in one
        transaction (run again once when another worker recorded the same Message-ID)."""
        split = next((i for i, step in enumerate(steps) if step.transaction), len(steps))
        before, inside = steps[:split], steps[split:]
        if not all(step.transaction for step in inside):
            raise RuntimeError("the transaction's steps must come last in the pipeline")
        for step in before:
            apply(step, state)
        for attempt in (1, 2):
            try:
                with self.ledger.session() as s:  # leaving the block commits
                    stamp(s, INTAKE, state.arrival)  # what the mail makes of its case counts from its arrival
                    state.begin_transaction(s)
                    for step in inside:
                        apply(step, state)
                for done in state.after_commit:
                    done()
                return state.row
            except StepFailed as failure:
                # Another worker recorded the same Message-ID at the same moment:
                # run the transaction again, now seeing it as a duplicate.
                if attempt == 1 and isinstance(failure.cause, IntegrityError):
                    continue
                raise
            except Exception as exc:
                if attempt == 1 and isinstance(exc, IntegrityError):
                    continue
                raise StepFailed(COMMIT, exc, COMMIT_ZH) from exc
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ failures

    def _record_failure(self, state: MailState, failure: StepFailed) -> MessageRow | None:
        """Note the failure on the claim; after MAX_ATTEMPTS hand the mail to staff."""
        given_up = state.attempts >= MAX_ATTEMPTS
        envelope = self._envelope_or_none(state) if given_up else None
        with self.ledger.session() as s:
            stamp(s, INTAKE, state.arrival)
            row = s.get(MessageRow, state.row_id)
            row.error = f"[{failure.step}] {type(failure.cause).__name__}: {failure.cause}"[:2000]
            if not given_up:
                return None  # stays claimed: resume_stale() tries again
            row.case_no = row.case_no or case_number(row.arrival, row.id, self.config.tz)
            if envelope is not None:
                row.message_id = envelope.message_id
                row.subject, row.sender, row.sender_name = (
                    envelope.subject,
                    envelope.from_addr,
                    envelope.from_name,
                )
                row.unit = sender_unit(s, self.env.roster, envelope.from_addr, row.id)
            row.status = Status.MANUAL_REVIEW.value
            row.problems = [
                Problem(
                    None,
                    "processing_failed",
                    f"系统多次处理此邮件均未成功（出错的步骤：{failure.zh}），"
                    "已转工作人员人工处理（原始邮件已保存）。",
                ).as_dict()
            ]
            row.state = "done"
            row.processed_at = utcnow()
            touch(row)
            return row

    def _envelope_or_none(self, state: MailState) -> ParsedMessage | None:
        """Sender and subject for staff, when even that can be read (the failure may be the parse)."""
        if state.parsed is not None:
            return state.parsed
        try:
            raw = state.raw if state.raw is not None else Path(state.raw_path).read_bytes()
            return parse_message(raw, self.config.limits, self.env.own)
        except Exception:
            log.exception("even the envelope of a failing message could not be read")
            return None
