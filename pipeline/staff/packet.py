"""The upstream packet: build it for the selected accounts, preview it, mail it.

`plan_packet` says what would go (accounts, files, the cover mail) without
sending; `run_packet` builds and (with send) queues the mail(s). A packet that
replaces one already sent says so in its subject and letter (以本次为准, naming
what changed) and goes only when staff confirm (`replace=True`; packet_history).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..campaign import FormSpec, Kind
from ..config import Config
from ..errors import UserFacingError
from ..ledger import Ledger, MessageRow
from ..ledger.views import decisions_by_case, to_view
from ..model import AttachmentKind, Status
from ..outbox import enqueue, new_message
from ..reports.blank_form import tag_of
from ..reports.packet import (
    SCAN_SUFFIXES,
    LetterInfo,
    account_folder,
    build_packet,
    form_file_name,
    summary_name,
)
from ..reports.recommendation import LETTER_NAME
from ..reports.views import SubmissionView, account_name
from ..reports.wording import quote_zh
from ..templating import render
from .packet_history import PACKET_HEADER, Replacement, fingerprint, packet_after, packet_key, replacement_for
from .sending import send_and_report


class PacketError(UserFacingError):
    """The packet cannot be built now; the message says why and what to do."""


class NothingSelected(PacketError):
    """No account chosen yet (the console says where to click instead of the command)."""


class ReplaceNotConfirmed(PacketError):
    """A packet already went with other accounts or contents: staff must confirm the new one replaces it."""


@dataclass
class PacketPlan:
    accounts: list[SubmissionView]
    files: list[tuple[str, str]] = field(default_factory=list)  # (path in zip, what)
    subject: str = ""
    text: str = ""
    to: list[str] = field(default_factory=list)
    replaces: Replacement | None = None


def selected_accounts(config: Config, ledger: Ledger) -> list[SubmissionView]:
    """The accounts chosen for upstream, in roster order."""
    order = {u.name: i for i, u in enumerate(config.units)}
    with ledger.session() as s:
        rows = s.scalars(
            select(MessageRow)
            .where(MessageRow.selected.is_(True), MessageRow.status == Status.ACCEPTED.value)
            .options(selectinload(MessageRow.attachments))
        ).all()
        decisions = decisions_by_case(s)
        views = [to_view(r, config, decisions.get(r.case_no, [])) for r in rows]
    return sorted(views, key=lambda v: (order.get(v.unit or "", len(order)), v.case_no))


def _check(config: Config, selected: list[SubmissionView]) -> None:
    if config.upstream is None:
        raise PacketError("配置中没有 upstream（上级），无需生成上报材料包。")
    noun = config.form.noun
    if not selected:
        raise NothingSelected(
            f"尚未选定上报{noun}：请先选定（python run.py decide 选定上报 受理编号，或在控制台“上报”页）。"
        )
    if len(selected) > config.upstream.accounts:
        raise PacketError(
            f"选定了 {len(selected)} 个{noun}，超过上级名额 {config.upstream.accounts} 个，请先取消多余的选定。"
        )


def _zip_base(config: Config) -> str:
    from ..reports.packet import _part_names

    return _part_names(config.this_level.recommender, 1)[0]


def described_by(form: FormSpec) -> tuple[str, ...]:
    """The fields the cover letter names each nominee with, after its name: the short list's
    text fields that describe the nominee, not the contact person (运营主体 in the built-in 附件1)."""
    return tuple(
        label
        for label in form.summary_labels[1:]
        if form.field(label).kind is Kind.TEXT and not form.field(label).weak_evidence
    )


def cover_text(
    config: Config,
    selected: list[SubmissionView],
    part: int,
    parts: int,
    zip_name: str,
    replaces: Replacement | None = None,
) -> str:
    form = config.form
    return render(
        "packet.txt.j2",
        upstream=config.upstream.name,
        level_name=config.this_level.recommender,
        department=config.this_level.name if config.this_level.name != config.this_level.recommender else "",
        letter_name=LETTER_NAME,
        campaign=quote_zh(config.campaign),
        noun=form.noun,
        form_title=form.title,
        form_tag=tag_of(form),
        summary_name=summary_name(form),
        accounts=[
            {
                "name": account_name(v, form),
                "about": [
                    (label, v.fields.get(label, "")) for label in described_by(form) if v.fields.get(label)
                ],
                "folder": account_folder(i, v, form),
            }
            for i, v in enumerate(selected, 1)
        ],
        part=part,
        parts=parts,
        zip_name=zip_name,
        contact=config.this_level.contact,
        today=f"{config.now():%Y年%m月%d日}",
        replaces=replaces
        and {
            "when": f"{replaces.previous.when:%Y年%m月%d日 %H:%M}",
            "subject": replaces.previous.subject,
            "change": replaces.sentence(form.noun),
        },
    )


def packet_subject(config: Config, part: int = 1, parts: int = 1, replacing: bool = False) -> str:
    return (
        f"{config.this_level.recommender}推荐{quote_zh(config.campaign)}{config.form.noun}材料"
        + ("（更正，以本次为准）" if replacing else "")
        + (f"（{part}/{parts}）" if parts > 1 else "")
    )


def replace_question(config: Config, replacement: Replacement) -> str:
    """What staff confirm before a packet that replaces another goes (console and CLI)."""
    noun = config.form.noun
    previous = replacement.previous
    return (
        f"{previous.when:%Y-%m-%d %H:%M} 已向{config.upstream.name}发送过上报材料包"
        f"（{'、'.join(previous.accounts)}；{previous.state}）。本次将替代它：{replacement.sentence(noun)}；"
        "邮件主题和正文会写明“以本次为准”。"
    )


def plan_packet(config: Config, ledger: Ledger) -> PacketPlan:
    """What the packet would hold and the cover mail, without building or sending."""
    selected = selected_accounts(config, ledger)
    _check(config, selected)
    form = config.form
    noun = form.noun
    files = [
        (LETTER_NAME, f"{config.this_level.recommender}的推荐函（打印、盖章处已留出）"),
        (summary_name(form), f"各{noun}{form.title}内容一览"),
    ]
    for i, v in enumerate(selected, 1):
        folder = account_folder(i, v, form)
        checked = "工作人员核对后的" if v.fields_read and v.fields_read != v.fields else "受理的"
        files.append((f"{folder}/{form_file_name(form)}", f"{form.title}（按{checked}内容生成）"))
        for a in v.attachments:
            if a.kind != AttachmentKind.FORM:
                files.append((f"{folder}/{a.name}", a.kind))
            elif Path(a.name).suffix.lower() in SCAN_SUFFIXES:
                original = f"{form.title}_单位原件{Path(a.name).suffix.lower()}"
                files.append(
                    (f"{folder}/{original}", f"{v.unit or '单位'}报送的{form.title}原件（盖章扫描件）")
                )
    zip_name = _zip_base(config)
    replaces = replacement_for(config, ledger, selected)
    return PacketPlan(
        accounts=selected,
        files=files,
        subject=packet_subject(config, replacing=replaces is not None),
        text=cover_text(config, selected, 1, 1, zip_name, replaces),
        to=list(config.upstream.addresses),
        replaces=replaces,
    )


def run_packet(config: Config, send: bool = False, replace: bool = False) -> str:
    """Build the packet zip(s) under outbox/reports/packet/; with send, queue and send the mail(s).

    When a packet with other accounts or contents already went, sending needs
    `replace` (staff confirmed): otherwise ReplaceNotConfirmed says what would change.
    """
    ledger = Ledger(config.database_url)
    selected = selected_accounts(config, ledger)
    _check(config, selected)
    replaces = replacement_for(config, ledger, selected)
    if send and replaces is not None and not replace:
        raise ReplaceNotConfirmed(
            replace_question(config, replaces)
            + "确认后再发送：在控制台“上报”页勾选确认，或 python run.py packet --send --replace。"
        )
    out = config.path(config.storage.reports_dir) / "packet"
    out.mkdir(parents=True, exist_ok=True)
    packet = build_packet(
        selected,
        out,
        level_name=config.this_level.recommender,
        letter=LetterInfo(
            upstream=config.upstream.name,
            campaign=quote_zh(config.campaign),
            contact=config.this_level.contact,
            describe=described_by(config.form),
        ),
        form=config.form,
        # Base64 grows attachments by 4/3: keep each zip at 70% of the mail limit.
        max_mail_bytes=int(config.upstream.max_mail_mb * 1024 * 1024 * 0.7),
    )
    result = f"上报材料包：{'、'.join(str(p) for p in packet.zip_paths)}（清单：{packet.manifest_path}）"
    for problem in packet.problems:
        result += f"\n  注意：{problem}"
    if replaces is not None and not send:
        result += f"\n  注意：{replace_question(config, replaces)}"
    if not send:
        return result
    if replaces is not None:
        when = f"{replaces.previous.when:%Y-%m-%d %H:%M}"
        result += f"\n  本次上报替代 {when} 的上报（{replaces.sentence(config.form.noun)}），邮件中已写明“以本次为准”。"
    n = len(packet.zip_paths)
    keys = [
        packet_key(fingerprint(selected), i, n, packet_after(config, ledger, selected))
        for i in range(1, n + 1)
    ]
    with ledger.session() as s:
        for i, path in enumerate(packet.zip_paths, 1):
            msg = new_message(
                config,
                config.upstream.addresses,
                packet_subject(config, i, n, replacing=replaces is not None),
                cover_text(config, selected, i, n, Path(path).name, replaces),
                automatic=False,
                attachments=[path],
            )
            msg[PACKET_HEADER] = ", ".join(v.case_no for v in selected)  # what this packet carried
            # Asked again after a failure (say the upstream address was corrected): sent again, recorded.
            enqueue(s, config, keys[i - 1], "packet", msg, again_by="工作人员（packet --send）")
    return send_and_report(config, ledger, keys, result)
