"""A new campaign on last year's mailbox: mail from before `this_level.opens` is kept, not answered.

Found when the second campaign was run end to end: a new ledger reads every mail
already in the folder, so last year's submissions got this year's receipts. The
notice's date (`opens`) now separates them. Through dovecot, `run.py once` and SMTP.
"""

from __future__ import annotations

from datetime import datetime

from intake_env import TZ, Nomination, export, receipts_by_case, run, submission, write_config


def test_mail_from_before_the_campaign_is_kept_but_neither_read_as_a_submission_nor_answered(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    config = write_config(
        tmp_path, dovecot_server, imap_account, smtp_server, extra_level={"opens": "2021-07-19 00:00"}
    )
    user, password = imap_account
    last_year = datetime(2020, 7, 25, 9, 0, tzinfo=TZ)
    this_year = datetime(2021, 7, 20, 9, 0, tzinfo=TZ)
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission(
            "bjzj@bj.example.cn",
            "推荐材料",
            "old@bj",
            sent=last_year,
            nomination=Nomination.sample("北京针灸学会", "京针之声"),
        ),
        last_year,
    )
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission(
            "tjzj@tj.example.cn",
            "推荐材料",
            "new@tj",
            sent=this_year,
            nomination=Nomination.sample("天津市针灸学会", "津门针灸"),
        ),
        this_year,
    )

    run(config, "once")

    records = {r["message_id"]: r for r in export(config)}
    old, new = records["old@bj"], records["new@tj"]
    assert old["status"] == "ignored"
    assert [p["code"] for p in old["problems"]] == ["before_opening"]
    assert "2021-07-19 00:00" in old["problems"][0]["message"]
    assert new["status"] == "accepted", new["problems"]
    receipts = receipts_by_case(smtp_server)
    assert receipts == {new["case_no"]: 1}, receipts  # nothing to 北京 about last year's mail
    assert (tmp_path / "data" / "raw").exists() and any((tmp_path / "data" / "raw").rglob("*.eml"))

    # 北京 has sent nothing this year: it is still reminded like any unit that has not sent.
    shown = run(config, "status").stdout
    assert "北京针灸学会" in shown and "未报送" in shown.split("北京针灸学会", 1)[1].splitlines()[0]


def test_opens_after_the_deadline_is_refused_in_chinese(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(
        tmp_path, dovecot_server, imap_account, smtp_server, extra_level={"opens": "2021-09-01 00:00"}
    )
    refused = run(config, "check-config", check=False)
    assert refused.returncode != 0
    assert "this_level.opens" in refused.stdout + refused.stderr
    assert "不早于报送截止" in refused.stdout + refused.stderr
