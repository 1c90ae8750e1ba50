"""Staff send a failed mail again from the console (issue 17.5's console button): a receipt
refused with 550 (a mistyped unit address) shows on the overview and on its case with why it
did not go; staff type the right address and press 重新发送; the real SMTP server receives it
there, and the case shows it sent. Through dovecot, `run.py once`, `run.py web` and Chromium."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

import yaml
from browser import DESKTOP, PHONE, new_page, shoot, sideways_overflow
from console_env import PASSWORDS, add_accounts, start_console
from intake_env import TZ, Nomination, export, run, submission, write_config
from mailservers import free_port

OLD = "bjzj@bj.example.cn"  # on the roster, but the unit's mailbox is gone: 550 5.1.1
NEW = "bjzj2021@bj.example.cn"


def test_a_failed_receipt_is_sent_again_to_a_corrected_address(
    browser, tmp_path, dovecot_server, imap_account, smtp_server
):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    port = free_port()
    data["web"] = {"host": "127.0.0.1", "port": port}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    smtp_server.unknown_recipients = {OLD}
    user, password = imap_account
    nom = Nomination.sample("北京针灸学会", "京针之声")
    raw = submission(OLD, "北京推荐", "bj-resend@bj.example.cn", nomination=nom)
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 9, 0, tzinfo=TZ))
    run(config, "once", check=False)
    case = export(config)[0]["case_no"]
    assert not smtp_server.messages()  # the receipt was refused
    add_accounts(config, {"刘晶晶": "staff"})
    url = f"http://127.0.0.1:{port}"
    process = start_console(config, url, tmp_path)
    try:
        for width, tag in ((DESKTOP, "1280"), (PHONE, "375")):
            page = new_page(browser, width)
            page.goto(url + "/login")
            page.fill("#name", "刘晶晶")
            page.fill("#password", PASSWORDS["刘晶晶"])
            page.click("button[type=submit]")
            page.wait_for_load_state()
            failed = page.locator("#failed + table tbody tr")
            assert failed.count() == 1
            assert OLD in failed.inner_text() and "550" in failed.inner_text()
            shoot(page, f"resend-overview-{tag}")
            if width == PHONE:
                assert sideways_overflow(page) <= 0
                page.goto(f"{url}/case/{case}")
                shoot(page, "resend-case-before-375")
                assert sideways_overflow(page) <= 0
            page.context.close()

        page = new_page(browser, DESKTOP)
        page.goto(url + "/login")
        page.fill("#name", "刘晶晶")
        page.fill("#password", PASSWORDS["刘晶晶"])
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{url}/case/{case}")
        notice = page.locator("ul.mails li", has_text="【回执】")
        assert "发送失败" in notice.inner_text() and OLD in notice.inner_text()
        notice.locator("input[name=to]").fill(NEW)
        notice.locator("form.resend button").click()
        page.wait_for_load_state()
        assert "已发送" in page.locator(".flash.ok").inner_text()
        (receipt,) = [email.message_from_bytes(m.data, policy=policy.default) for m in smtp_server.messages()]
        assert receipt["To"] == NEW and case in receipt["Subject"]
        assert smtp_server.messages()[0].rcpts == [NEW]
        assert "已发送" in page.locator("ul.mails li", has_text="【回执】").inner_text()
        assert page.locator("ul.mails li", has_text="【回执】").locator("form.resend").count() == 0
        shoot(page, "resend-case-after-1280")
        # The resend is in the case's history: who sent it again, from which address to which.
        assert "刘晶晶" in page.locator("section").last.inner_text()
        page.goto(url + "/")
        assert page.locator("#failed").count() == 0
        page.context.close()
    finally:
        process.terminate()
        process.wait(10)
