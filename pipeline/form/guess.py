"""Guesses `form init` makes about a label printed on a blank form: its kind, whether
it is required, whether nearly every form has it. Staff check every guess; the
output says what each was based on.
"""

from __future__ import annotations

import re

from ..campaign import Kind

# In this order: 网页链接 is a url before anything else, 邮编 is not an e-mail, 联系电话 a phone.
_KIND_WORDS: tuple[tuple[Kind, re.Pattern], ...] = (
    (Kind.URL, re.compile(r"链接|网址|网页|网站|url|账号id", re.IGNORECASE)),
    (Kind.EMAIL, re.compile(r"邮箱|e-?mail|电子邮件|信箱", re.IGNORECASE)),
    (Kind.POSTCODE, re.compile(r"邮编|邮政编码")),
    (Kind.PHONE, re.compile(r"电话|手机")),
    (Kind.DATE, re.compile(r"时间|日期|出生年月|年月")),
    (
        Kind.INTEGER,
        re.compile(
            r"数量|人数|字数|次数|篇数|页数|集数|件数|个数|粉丝数|"
            r"(?:阅读|播放|点击|浏览|下载|发行|销售|粉丝|关注|发布|发文)量"
        ),
    ),
    (Kind.LONG_TEXT, re.compile(r"简介|理由|事迹|情况|说明|介绍|概述|摘要|成效|实效|效果|特色|亮点")),
)
# A note asking for a paragraph: （300字以内）, （不超过500字）.
_WORD_LIMIT = re.compile(r"\d+\s*字(?:以内|以下)?|不超过\s*\d+\s*字|字数")
_OPTIONAL = re.compile(r"选填|可不填|非必填|如有|可选")
# Labels nearly every Chinese form has: weak evidence that a document is *this* form.
_COMMON = re.compile(
    r"^(?:联系人(?:姓名)?|姓名|性别|民族|出生年月|出生日期|政治面貌|学历|学位|职务|职称|身份证号码?|"
    r"(?:联系|通讯|通信|邮寄|单位|所在)?地址|工作单位|单位名称|所在单位)$"
)


def guess_kind(label: str, note: str = "", tall: bool = False) -> tuple[Kind, str]:
    """(kind, why) for a label as printed; `note` is its bracketed hint, `tall` a tall value cell."""
    for kind, words in _KIND_WORDS:
        m = words.search(label)
        if m:
            return kind, f"栏目名含“{m.group(0)}”"
    if _WORD_LIMIT.search(note) and "字数" not in label:
        return Kind.LONG_TEXT, f"注明“{note}”"
    if tall:
        return Kind.LONG_TEXT, "填写处较高"
    return Kind.TEXT, ""


def guess_required(note: str) -> bool:
    return not _OPTIONAL.search(note)


def guess_common(label: str) -> bool:
    return bool(_COMMON.match(label))
