"""Build the demo mailbox: a folder of .eml files as units really send them.

Run: python examples/make_demo.py [OUT_DIR]   (default examples/demo_mailbox)
Each file carries `X-Demo-Arrival:` — the arrival time the folder source
uses in place of an IMAP INTERNALDATE.
"""

from __future__ import annotations

import base64
import io
import sys
import zipfile
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from samples import Nomination, article_docx, form_docx, form_scan, form_xlsx_vertical, picture  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return (
        datetime(2021, 7, day, hour, minute, tzinfo=TZ)
        if day > 2
        else datetime(2021, 8, day, hour, minute, tzinfo=TZ)
    )


def mail(sender: str, subject: str, arrival: datetime, msg_id: str, body: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "1187093@qq.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(arrival)
    msg["Message-ID"] = f"<{msg_id}@demo.example.cn>"
    msg["X-Demo-Arrival"] = arrival.isoformat()
    msg.set_content(body or "您好，附件是我单位的推荐材料，请查收。")
    return msg


def attach(msg: EmailMessage, name: str, data: bytes, ctype: tuple[str, str]) -> None:
    msg.add_attachment(data, maintype=ctype[0], subtype=ctype[1], filename=name)


def article(msg: EmailMessage, unit: str) -> None:
    attach(msg, f"{unit}图文案例.docx", article_docx(f"{unit}：让针灸科普走进千家万户"), DOCX)


class GbkZipInfo(zipfile.ZipInfo):
    """Writes the name as GBK bytes without the UTF-8 flag, as Windows zip tools do."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def gbk_zip(members: dict[str, bytes]) -> bytes:
    """A zip made on Chinese Windows: GBK names, no UTF-8 flag."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = GbkZipInfo(name, date_time=(2021, 7, 20, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def foxmail_gbk(sender: str, subject: str, arrival: datetime, msg_id: str, name: str, data: bytes) -> bytes:
    """Foxmail-era mail: gb2312-labelled GBK subject, raw 8-bit GBK filename."""
    subj = base64.b64encode(subject.encode("gbk")).decode()
    b64 = base64.encodebytes(data).decode()
    body = base64.encodebytes("附件为推荐表，请查收。".encode("gbk")).decode()
    head = (
        f"From: {sender}\r\nTo: 1187093@qq.com\r\nSubject: =?gb2312?B?{subj}?=\r\n"
        f"Date: {format_datetime(arrival)}\r\nMessage-ID: <{msg_id}@demo.example.cn>\r\n"
        f"X-Demo-Arrival: {arrival.isoformat()}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="=====fox====="\r\n\r\n'
        '--=====fox=====\r\nContent-Type: text/plain; charset="gb2312"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
        "--=====fox=====\r\nContent-Type: application/octet-stream\r\n"
        "Content-Transfer-Encoding: base64\r\n"
    ).encode("ascii")
    disp = b'Content-Disposition: attachment; filename="' + name.encode("gbk") + b'"\r\n\r\n'
    return head + disp + b64.encode("ascii") + b"\r\n--=====fox=====--\r\n"


def build(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.eml"):
        old.unlink()
    files: dict[str, bytes] = {}

    # 1. 北京: the notice's layout, complete, with an article and pictures → 已受理
    m = mail("北京针灸学会 <bjzj@bjzj.example.cn>", "北京针灸学会推荐百佳账号材料", at(20, 10), "bj-1")
    attach(m, "附件1-推荐表.docx", form_docx(Nomination.sample("北京针灸学会", "北京针灸")), DOCX)
    article(m, "北京针灸学会")
    files["01_北京_受理.eml"] = m.as_bytes()

    # 2. 上海: a vertical Excel sheet from a domain address → 已受理
    m = mail("上海市针灸学会 <office@shzj.example.cn>", "上海市针灸学会报送", at(22, 15, 30), "sh-1")
    attach(m, "推荐表.xlsx", form_xlsx_vertical(Nomination.sample("上海市针灸学会", "上海针灸在线")), XLSX)
    article(m, "上海市针灸学会")
    files["02_上海_受理.eml"] = m.as_bytes()

    # 3. 天津: Foxmail, GBK names; phone and postcode wrong, no materials → 需补正
    nom = Nomination.sample("天津市针灸学会", "津门针灸", 手机="022-2345678", 邮编="3000")
    files["03_天津_需补正.eml"] = foxmail_gbk(
        "tjzj@tjzj.example.cn", "天津市针灸学会推荐表", at(25, 9), "tj-1", "天津推荐表.docx", form_docx(nom)
    )

    # 4. 天津 corrects it the next day, replying to the receipt → 已受理, replaces no. 3
    m = mail("tjzj@tjzj.example.cn", "回复：【回执】更正后的推荐表", at(26, 11), "tj-2")
    m["In-Reply-To"] = "<tj-1@demo.example.cn>"
    fixed = Nomination.sample("天津市针灸学会", "津门针灸", 手机="13602345678", 邮编="300000")
    attach(m, "天津推荐表（更正）.docx", form_docx(fixed), DOCX)
    article(m, "天津市针灸学会")
    files["04_天津_更正.eml"] = m.as_bytes()

    # 5. 河北: forwarded by a colleague, materials in a zip with GBK names
    inner = mail("hbzj@hbzj.example.cn", "河北推荐材料", at(28, 8), "hb-inner")
    zipped = gbk_zip(
        {
            "河北/附件1推荐表.docx": form_docx(Nomination.sample("河北省针灸学会", "燕赵针灸")),
            "河北/图文案例.docx": article_docx("燕赵针灸：线上义诊惠及百姓"),
        }
    )
    attach(inner, "河北材料.zip", zipped, ("application", "zip"))
    m = mail("hbzj@hbzj.example.cn", "转发：河北推荐材料", at(28, 9), "hb-1")
    m.add_attachment(inner)
    files["05_河北_转发压缩包.eml"] = m.as_bytes()

    # 6. 山西: arrives after the deadline → 逾期
    m = mail("sxzj@sxzj.example.cn", "山西省针灸学会推荐表", at(2, 10), "sx-1")
    attach(m, "推荐表.docx", form_docx(Nomination.sample("山西省针灸学会", "三晋针灸")), DOCX)
    article(m, "山西省针灸学会")
    files["06_山西_逾期.eml"] = m.as_bytes()

    # 7. 北京 sends a second, different account → 超出名额
    m = mail("bjzj@bjzj.example.cn", "补充推荐一个账号", at(29, 16), "bj-2")
    attach(m, "推荐表2.docx", form_docx(Nomination.sample("北京针灸学会", "京城中医针灸")), DOCX)
    article(m, "北京针灸学会")
    files["07_北京_超出名额.eml"] = m.as_bytes()

    # 8. Someone not on the roster → 发件人不在名单
    m = mail("someone@163.example.com", "推荐表", at(27, 20), "x-1")
    attach(m, "推荐表.docx", form_docx(Nomination.sample("某医院", "某医院针灸科")), DOCX)
    files["08_名单外.eml"] = m.as_bytes()

    # 9. A QQ out-of-office answer → 已忽略
    m = mail(
        "bjzj@bjzj.example.cn",
        "自动回复: 关于报送百佳账号的通知",
        at(21, 8),
        "auto-1",
        "这是来自QQ邮箱的假期自动回复邮件。您好，我最近正在休假中，无法亲自回复您的邮件。",
    )
    m["Auto-Submitted"] = "auto-replied"
    files["09_自动回复.eml"] = m.as_bytes()

    # 10. The same mail delivered twice (CC to two mailboxes) → 重复投递
    files["10_上海_重复.eml"] = files["02_上海_受理.eml"]

    # 11. A question, no attachments → 来信（非报送）
    m = mail(
        "sxzj@sxzj.example.cn",
        "请问视频材料可以用网盘发送吗？",
        at(24, 14),
        "sx-q",
        "您好，我们的视频较大，请问可以用网盘链接发送吗？",
    )
    files["11_山西_咨询.eml"] = m.as_bytes()

    # 12. 辽宁: a picture instead of the article, only two pictures → 需补正 (materials)
    m = mail("lnzj@lnzj.example.cn", "辽宁省针灸学会推荐材料", at(30, 10), "ln-1")
    attach(m, "推荐表.docx", form_docx(Nomination.sample("辽宁省针灸学会", "辽宁针灸")), DOCX)
    attach(m, "案例.docx", article_docx("辽宁针灸：百姓身边的健康顾问", pictures=1), DOCX)
    attach(m, "照片1.png", picture(color="#a37"), ("image", "png"))
    files["12_辽宁_材料不足.eml"] = m.as_bytes()

    # 13. 江苏: the form printed, stamped and scanned → 待人工核对 (staff check the OCR in the console)
    m = mail("jszj@jszj.example.cn", "江苏省针灸学会推荐表（盖章扫描件）", at(31, 16), "js-1")
    scan = Nomination.sample(
        "江苏省针灸学会", "江苏针灸", 联系人="许诺", 手机="13912345678", 粉丝数量="1.1万"
    )
    attach(m, "推荐表扫描件.png", form_scan(scan), ("image", "png"))
    article(m, "江苏省针灸学会")
    files["13_江苏_扫描件.eml"] = m.as_bytes()

    paths = []
    for name, data in files.items():
        path = out / name
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "demo_mailbox"
    made = build(target)
    print(f"演示邮箱已生成：{target}（{len(made)} 封邮件）")
