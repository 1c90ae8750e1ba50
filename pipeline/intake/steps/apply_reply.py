"""按回复更正: a unit's reply to a receipt or notice fixes fields of its case.

A letter (no files) that answers one of our mails — In-Reply-To/References, or
the case number in the subject or the quote — and whose own text (the quote and
the signature cut off: message/quotes.py) holds "栏目：内容" lines of the form
(form/reply_lines.py) changes that case, by the rules of intake/replies.py: the
unit's own address only, at once while the case is open, as a proposal for
staff once it is accepted or selected, after the deadline only what the last
notice asked for. The answer step sends the one notice that answers it.

A mail that carries files is a new submission as before (with a 推荐表, a
corrected version); its lines are not applied, and the receipt says what became
of each of them.

Durable like the rest: the change, its audit rows, the letter's record and the
notice commit in the mail's one transaction, taking the case's version
(cases.take) so a staff decision made on the page as it was is refused. The
outcome is also written to the staff journal under an id made from the reply's
case number, held in the ledger in the same transaction. A rebuilt ledger
reprocesses the reply before the journal is replayed: it then leaves the change
to the replay, which applies it in its place among staff decisions.
"""

from __future__ import annotations

from dataclasses import asdict

from ...ledger import staff_journal as journal
from ...model import Problem, Status
from .. import form_reading, replies
from ..state import MailState
from ..step import Step


def journaled(state: MailState, entry_id: str) -> dict | None:
    """This reply's outcome as the staff journal has it (a rebuilt ledger), else None."""
    for entry in journal.entries(state.config):
        if entry.get("id") == entry_id:
            return entry
    return None


def run(state: MailState) -> None:
    parsed, s = state.parsed, state.session
    if parsed is None or parsed.automatic or state.duplicate_of or len(state.submissions) != 1:
        return
    if not state.related_case:
        return
    values = form_reading.reply_values(parsed.new_text, state.config.form)
    if not values:
        return
    sub = state.submissions[0]
    if sub.decision.status is not Status.CORRESPONDENCE:
        primary = sub.context.primary if sub.context is not None else None
        state.reply_notes = replies.unused_lines(values, dict(primary.form.fields) if primary else None)
        return
    case = replies.find_case(s, state.related_case)
    if case is None or case.id == sub.row.id:
        return
    state.related_case = case.case_no
    letter = sub.row
    entry_id = replies.entry_id(letter.case_no)
    recorded = journaled(state, entry_id)
    if recorded is not None:
        # A rebuilt ledger: the journal replay applies this reply after the staff
        # decisions that came before it; the letter says what it asked.
        message = f"单位回复受理编号 {case.case_no} 的栏目更正（按处理记录恢复，见该报送的处理记录）。"
        _file_letter(sub, message, recorded.get("state") == replies.APPLIED)
        return
    result = replies.take_reply(
        s, state.config, state.env.roster, case, letter.case_no, parsed.from_addr, state.arrival, values
    )
    _file_letter(sub, replies.letter_message(result), replies.answers_itself(result))
    if result.trusted:
        state.reply = result  # the answer step sends the one notice; never to a stranger
    journal.claim(s, entry_id)
    fields = {
        "case_no": result.case_no,
        "letter_no": result.letter_no,
        "state": result.state,
        "trusted": result.trusted,
        "sender": parsed.from_addr,
        "arrival": state.arrival.isoformat(),
        "changes": [asdict(c) for c in result.changes],
        "by": case.unit or parsed.from_addr,
    }
    state.after_commit.append(lambda: journal.record(state.config, replies.JOURNAL_KIND, entry_id, **fields))


def _file_letter(sub, message: str, answered: bool) -> None:
    """The reply's own record: a letter whose line says what it asked and what became of it."""
    problems = [p for p in sub.decision.problems if p.code != "correspondence"]
    first = next((p for p in sub.decision.problems if p.code == "correspondence"), None)
    if first is not None:
        problems.insert(0, Problem(first.field, first.code, message))
    sub.decision.problems = problems
    sub.row.answered = bool(sub.row.answered) or answered


STEP = Step(
    "apply_reply",
    "按回复更正",
    "apply a unit's reply (label: value lines above the quote) to the case it answers, or propose it to staff",
    run,
    transaction=True,
)
