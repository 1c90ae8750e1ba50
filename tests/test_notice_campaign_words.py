"""The receipt speaks the campaign's words: an over-quota receipt of the 科普作品 campaign
says 作品, not the built-in campaign's 账号 (the notice template once hard-coded it)."""

from __future__ import annotations

from datetime import datetime

from intake_env import ROOT, TZ

from pipeline.config import load_config
from pipeline.ledger import MessageRow
from pipeline.model import Status
from pipeline.notices.to_units import RECEIPT, compose_notice

KEPU = ROOT / "examples" / "campaigns" / "kepu" / "inbox_rules.yaml"


def over_quota_row() -> MessageRow:
    return MessageRow(
        message_id="second@js",
        case_no="TJ-20240601-0002",
        unit="江苏省针灸学会",
        sender="jszj@js.example.cn",
        subject="申报材料",
        status=Status.OVER_QUOTA.value,
        problems=[
            {
                "field": "作品名称",
                "code": "over_quota",
                "message": "贵单位此前已推荐其他作品，每单位限推荐 1 个作品。",
            }
        ],
        fields={},
        arrival=datetime(2024, 6, 1, 9, 0, tzinfo=TZ),
        attachments=[],
    )


def test_an_over_quota_receipt_names_the_campaigns_noun():
    config = load_config(KEPU)
    assert config.form.noun == "作品"
    text = compose_notice(config, over_quota_row(), kind=RECEIPT).text
    assert "贵单位报送的作品超出推荐名额" in text
    assert "账号" not in text
