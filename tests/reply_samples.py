"""Replies to our receipt the way Chinese units' mail clients write them, byte by byte.

Each builder takes the receipt as the unit received it (its Message-ID, subject and
text), the unit's own new lines and its address, and returns the raw reply: headers
as that client writes them (X-Mailer, its Message-ID shape, 回复：/答复:/Re: in the
subject), its charset (GBK bytes under a gb2312/GBK/gb18030 label where the client
does that), a text part and/or an HTML part, and the quote in that client's style:

- QQ Mail web: "------------------ 原始邮件 ------------------" with QQ's literal
  "&nbsp;" in the text part, a grey 发件人:/发送时间:/收件人:/主题: block, no ">".
- 163 web mail (Coremail): "在 2021-07-22 09:30:11，"名称" <地址> 写道：" over ">"
  lines; the HTML quote in <blockquote id="isReplyContent">.
- Foxmail: the sender's address as signature, a 发件人：/发送时间：/收件人：/主题：
  block with full-width colons, the receipt unprefixed; HTML with a blue-bordered div.
- Outlook (Chinese): "答复: " subject, 发件人: /发送时间: /收件人: /主题: block,
  quoted-printable gb2312; HTML with MsoNormal paragraphs and a grey-bordered div.
- Apple Mail (iPhone): "发自我的iPhone", "在 2021年7月22日，09:30，… 写道：" over "> ".
- Gmail: "名称 <地址> 于2021年7月22日周四 09:30写道：" over "> "; HTML gmail_quote.
"""

from __future__ import annotations

import email
import html as htmllib
import quopri
from dataclasses import dataclass
from email import policy

from mime_builders import b64_lines, encoded_word, multipart, part

INTAKE = "intake@society.example.cn"
INTAKE_NAME = "中国针灸学会信息与会员部"
DATE = "Thu, 22 Jul 2021 09:30:11 +0800"


@dataclass
class Received:
    """The receipt (or notice) as the unit's client shows it."""

    message_id: str  # with <>
    subject: str
    text: str
    references: str = ""

    @classmethod
    def parse(cls, raw: bytes) -> Received:
        msg = email.message_from_bytes(raw, policy=policy.default)
        return cls(
            str(msg["Message-ID"]),
            str(msg["Subject"]),
            msg.get_body(("plain",)).get_content(),
            str(msg["References"] or ""),
        )


def _text(body: str, charset: str, cte: str = "base64") -> bytes:
    codec = "gb18030" if charset.lower() in ("gb2312", "gbk", "gb18030") else charset
    data = body.replace("\n", "\r\n").encode(codec)
    if cte == "base64":
        payload = b64_lines(data)
    elif cte == "quoted-printable":
        payload = quopri.encodestring(data)
    else:
        payload = data
    return data, payload


def _body_part(body: str, subtype: str, charset: str, cte: str = "base64") -> bytes:
    _, payload = _text(body, charset, cte)
    return part(
        [("Content-Type", f'text/{subtype}; charset="{charset}"'), ("Content-Transfer-Encoding", cte)],
        payload,
    )


def _headers(
    received: Received,
    sender: str,
    name: str,
    prefix: str,
    msgid: str,
    charset: str,
    mailer: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    codec = "gb18030" if charset.lower() in ("gb2312", "gbk", "gb18030") else charset
    refs = " ".join(x for x in (received.references, received.message_id) if x)
    return [
        ("From", f"{encoded_word(name.encode(codec), charset)} <{sender}>"),
        ("To", f"{encoded_word(INTAKE_NAME.encode(codec), charset)} <{INTAKE}>"),
        ("Subject", encoded_word((prefix + received.subject).encode(codec), charset)),
        ("Date", DATE),
        ("Message-ID", msgid),
        ("In-Reply-To", received.message_id),
        ("References", refs),
        *mailer,
    ]


def _html_lines(text: str) -> str:
    return "".join(f"<div>{htmllib.escape(line) or '<br>'}</div>" for line in text.splitlines())


def _quoted_html(text: str) -> str:
    return "<br>".join(htmllib.escape(line) for line in text.splitlines())


# ---------------------------------------------------------------- QQ Mail


def qq(received: Received, lines: str, sender: str, name: str, *, html_only: bool = False) -> bytes:
    charset = "gb18030"
    pad = " " * 120
    plain = (
        f"{lines}\n\n\n\n\n------------------&nbsp;原始邮件&nbsp;------------------\n"
        f'发件人:{pad}"{INTAKE_NAME}"{" " * 80}<{INTAKE}>;\n'
        "发送时间:&nbsp;2021年7月22日(星期四) 上午9:30\n"
        f'收件人:&nbsp;"{name}"<{sender}>;\n\n'
        f"主题:&nbsp;{received.subject}\n\n\n\n{received.text}"
    )
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
        f"{_html_lines(lines)}<div><br></div><div><br></div>"
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        "------------------&nbsp;原始邮件&nbsp;------------------</div>"
        '<div style="font-size: 12px;background:#efefef;padding:8px;">'
        f'<div><b>发件人:</b>&nbsp;"{INTAKE_NAME}"&lt;{INTAKE}&gt;;</div>'
        "<div><b>发送时间:</b>&nbsp;2021年7月22日(星期四) 上午9:30</div>"
        f'<div><b>收件人:</b>&nbsp;"{htmllib.escape(name)}"&lt;{sender}&gt;;<wbr></div><div></div>'
        f"<div><b>主题:</b>&nbsp;{htmllib.escape(received.subject)}</div></div><div><br></div>"
        f"{_quoted_html(received.text)}"
    )
    headers = _headers(
        received,
        sender,
        name,
        "回复：",
        "<tencent_3C1F2E7A9B0D4C5E8F61A2B3@qq.com>",
        charset,
        [("X-Mailer", "QQMail 2.x"), ("X-QQ-MIME", "TCMime 1.0 by Tencent"), ("X-QQ-Mailer", "QQMail 2.x")],
    )
    if html_only:
        _, payload = _text(html, charset)
        return part(
            [
                ("MIME-Version", "1.0"),
                *headers,
                ("Content-Type", f'text/html; charset="{charset}"'),
                ("Content-Transfer-Encoding", "base64"),
            ],
            payload,
        )
    return multipart(
        "alternative", [_body_part(plain, "plain", charset), _body_part(html, "html", charset)], headers
    )


# ---------------------------------------------------------------- 163 (Coremail)


def netease(received: Received, lines: str, sender: str, name: str, *, html_only: bool = False) -> bytes:
    charset = "GBK"
    attribution = f'在 2021-07-22 09:30:11，"{INTAKE_NAME}" <{INTAKE}> 写道：'
    quoted = "\n".join(">" + line for line in received.text.splitlines())
    plain = f"{lines}\n\n\n\n\n\n\n\n\n\n\n\n{attribution}\n{quoted}"
    html = (
        '<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">'
        f"{_html_lines(lines)}<br><br>"
        '<div style="position:relative;zoom:1"></div><div id="divNeteaseMailCard"></div><br>'
        f'在 2021-07-22 09:30:11，"{INTAKE_NAME}"&nbsp;&lt;{INTAKE}&gt; 写道：<br>'
        '<blockquote id="isReplyContent" style="PADDING-LEFT: 1ex; MARGIN: 0px 0px 0px 0.8ex; '
        'BORDER-LEFT: #ccc 1px solid">'
        f"<pre>{htmllib.escape(received.text)}</pre></blockquote></div>"
    )
    headers = _headers(
        received,
        sender,
        name,
        "Re:",
        "<5e8d1c2a.4b7f.17acd2f1e3a.Coremail.tjzj@163.com>",
        charset,
        [
            (
                "X-Mailer",
                "Coremail Webmail Server Version XT5.0.13 build 20210104(e3c0c7b6) Copyright (c) 2002-2021 www.mailtech.cn 163com",
            ),
            ("X-Originating-IP", "[220.181.12.16]"),
            ("X-Coremail-Locale", "zh_CN"),
            ("X-CM-CTRLDATA", "kLh8mWZvb3Rlcl9odG09MTkxMjo1Ng=="),
        ],
    )
    if html_only:
        _, payload = _text(html, charset)
        return part(
            [
                ("MIME-Version", "1.0"),
                *headers,
                ("Content-Type", f'text/html; charset="{charset}"'),
                ("Content-Transfer-Encoding", "base64"),
            ],
            payload,
        )
    return multipart(
        "alternative", [_body_part(plain, "plain", charset), _body_part(html, "html", charset)], headers
    )


# ---------------------------------------------------------------- Foxmail


def foxmail(received: Received, lines: str, sender: str, name: str) -> bytes:
    charset = "gb2312"  # the label Foxmail writes; the bytes are GBK
    plain = (
        f"{lines}\n\n\n\n{sender}\n \n"
        f"发件人： {INTAKE_NAME}\n发送时间： 2021-07-22 09:30\n收件人： {name}\n主题： {received.subject}\n"
        f"{received.text}"
    )
    html = (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=gb2312">'
        "<style>body { line-height: 1.5; }blockquote { margin-top: 0px; margin-bottom: 0px; margin-left: 0.5em; }"
        "</style></head><body>\r\n"
        f"{_html_lines(lines)}\r\n<div><br></div>"
        '<hr style="width: 210px; height: 1px;" color="#b5c4df" size="1" align="left">\r\n'
        '<div><span><div style="MARGIN: 10px; FONT-FAMILY: verdana; FONT-SIZE: 10pt">'
        f"<div>{sender}</div></div></span></div>\r\n"
        '<blockquote style="margin-Top: 0px; margin-Bottom: 0px; margin-Left: 0.5em; margin-Right: inherit">'
        "<div>&nbsp;</div>"
        '<div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<div style="PADDING-RIGHT: 8px; PADDING-LEFT: 8px; FONT-SIZE: 12px;FONT-FAMILY:tahoma;COLOR:#000000; '
        'BACKGROUND: #efefef; PADDING-BOTTOM: 8px; PADDING-TOP: 8px">'
        f'<div><b>发件人：</b>&nbsp;<a href="mailto:{INTAKE}">{INTAKE_NAME}</a></div>'
        "<div><b>发送时间：</b>&nbsp;2021-07-22&nbsp;09:30</div>"
        f'<div><b>收件人：</b>&nbsp;<a href="mailto:{sender}">{htmllib.escape(name)}</a></div>'
        f"<div><b>主题：</b>&nbsp;{htmllib.escape(received.subject)}</div></div></div>"
        f"<div>{_quoted_html(received.text)}</div></blockquote>\r\n</body></html>"
    )
    headers = _headers(
        received,
        sender,
        name,
        "回复: ",
        "<202107220930115623451@tj.example.cn>",
        charset,
        [("X-Mailer", "Foxmail 7.2.20.273[cn]"), ("X-Priority", "3"), ("X-Has-Attach", "no")],
    )
    return multipart(
        "alternative", [_body_part(plain, "plain", charset), _body_part(html, "html", charset)], headers
    )


# ---------------------------------------------------------------- Outlook


def outlook(received: Received, lines: str, sender: str, name: str) -> bytes:
    charset = "gb2312"
    plain = (
        f"{lines}\n\n"
        f"发件人: {INTAKE_NAME} <{INTAKE}> \n发送时间: 2021年7月22日 9:30\n收件人: {sender}\n"
        f"主题: {received.subject}\n\n{received.text}"
    )
    paragraphs = "".join(
        f'<p class="MsoNormal"><span lang="EN-US">{htmllib.escape(line) or "<o:p>&nbsp;</o:p>"}</span></p>'
        for line in lines.splitlines()
    )
    html = (
        '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
        '<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        '<meta name="Generator" content="Microsoft Word 15 (filtered medium)"></head>'
        '<body lang="ZH-CN" link="#0563C1" vlink="#954F72"><div class="WordSection1">'
        f'{paragraphs}<p class="MsoNormal"><span lang="EN-US"><o:p>&nbsp;</o:p></span></p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        f'<p class="MsoNormal"><b>发件人<span lang="EN-US">:</span></b><span lang="EN-US"> {INTAKE_NAME} '
        f'&lt;{INTAKE}&gt; <br></span><b>发送时间<span lang="EN-US">:</span></b><span lang="EN-US"> 2021年7月22日 9:30<br>'
        f'</span><b>收件人<span lang="EN-US">:</span></b><span lang="EN-US"> {sender}<br></span>'
        f'<b>主题<span lang="EN-US">:</span></b> {htmllib.escape(received.subject)}</p></div>'
        f'<p class="MsoNormal">{_quoted_html(received.text)}</p></div></body></html>'
    )
    headers = _headers(
        received,
        sender,
        name,
        "答复: ",
        "<000001d77e9a$4f3b2c10$edb18430$@tj.example.cn>",
        charset,
        [
            ("X-Mailer", "Microsoft Outlook 16.0"),
            ("Thread-Index", "AQHXfpo3Vn6f0Jk2QkW1Zx0y4b3C8A=="),
            ("Content-Language", "zh-cn"),
        ],
    )
    return multipart(
        "alternative",
        [
            _body_part(plain, "plain", charset, "quoted-printable"),
            _body_part(html, "html", charset, "quoted-printable"),
        ],
        headers,
    )


# ---------------------------------------------------------------- Apple Mail (iPhone)


def apple(received: Received, lines: str, sender: str, name: str) -> bytes:
    charset = "utf-8"
    quoted = "\n".join("> " + line if line else ">" for line in received.text.splitlines())
    plain = f"{lines}\n\n发自我的iPhone\n\n> 在 2021年7月22日，09:30，{INTAKE_NAME} <{INTAKE}> 写道：\n> \n> \ufeff{quoted[2:]}"
    html = (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        f'<body dir="auto">{_html_lines(lines)}<div dir="ltr"><br>发自我的iPhone</div><div dir="ltr"><br>'
        f'<blockquote type="cite">在 2021年7月22日，09:30，{INTAKE_NAME} &lt;{INTAKE}&gt; 写道：<br><br></blockquote></div>'
        f'<blockquote type="cite"><div dir="ltr">{_quoted_html(received.text)}</div></blockquote></body></html>'
    )
    headers = _headers(
        received,
        sender,
        name,
        "回复：",
        "<8A4F1E2C-3B5D-4E6F-9A0B-1C2D3E4F5A6B@tj.example.cn>",
        charset,
        [("X-Mailer", "iPhone Mail (18G82)")],
    )
    return multipart(
        "alternative",
        [
            _body_part(plain, "plain", charset, "quoted-printable"),
            _body_part(html, "html", charset, "quoted-printable"),
        ],
        headers,
        boundary="Apple-Mail-5B9C2D1E-7F3A-4B6C-8D9E-0A1B2C3D4E5F",
    )


# ---------------------------------------------------------------- Gmail


def gmail(received: Received, lines: str, sender: str, name: str) -> bytes:
    charset = "UTF-8"
    quoted = "\n".join("> " + line if line else ">" for line in received.text.splitlines())
    # Gmail wraps the attribution line before 于 when it is long.
    plain = f"{lines}\n\n{INTAKE_NAME} <{INTAKE}>\n于2021年7月22日周四 09:30写道：\n\n{quoted}"
    html = (
        f'<div dir="ltr">{_html_lines(lines)}</div><br><div class="gmail_quote">'
        f'<div dir="ltr" class="gmail_attr">{INTAKE_NAME} &lt;<a href="mailto:{INTAKE}">{INTAKE}</a>&gt; '
        "于2021年7月22日周四 09:30写道：<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
        f'padding-left:1ex">{_quoted_html(received.text)}</blockquote></div>'
    )
    headers = _headers(
        received,
        sender,
        name,
        "Re: ",
        "<CAJp3qT4m0x9Yb7Q+Zr2nK8vLw5sE1dF6gH7jK8lM9nO0pQ1rS2@mail.gmail.com>",
        charset,
        [],
    )
    return multipart(
        "alternative",
        [
            _body_part(plain, "plain", charset, "quoted-printable"),
            _body_part(html, "html", charset, "quoted-printable"),
        ],
        headers,
        boundary="000000000000a1b2c3d405c7d8e9f0",
    )


CLIENTS = {
    "QQ邮箱": qq,
    "网易163": netease,
    "Foxmail": foxmail,
    "Outlook": outlook,
    "苹果邮件": apple,
    "Gmail": gmail,
}
