"""The documents that are not the 推荐表, and the packet's 汇总表: each builder returns (bytes, expected fields)."""

from __future__ import annotations

import io

import openpyxl

from .layout import EMPTY, kv_table, para, values
from .wordml import Writer


def design_contest_form() -> tuple[bytes, dict[str, str]]:
    """An empty 设计大赛报名表 whose footer names the organiser's contact, phone, e-mail and web site."""
    w = Writer("word2016")
    widths = [1400, 2753, 1400, 2753]
    rows = [
        [("作品名称", 1), ("", 3)],
        [("参赛者姓名", 1), ("", 1), ("所在单位", 1), ("", 1)],
        [("手机", 1), ("", 1), ("电子邮箱", 1), ("", 1)],
        [("通讯地址", 1), ("", 1), ("邮编", 1), ("", 1)],
        [("作品简介（300字以内）", 1), ("", 3)],
        [("设计说明", 1), ("", 3)],
    ]
    body = w.text_para("第三届中医药文化创意设计大赛报名表", center=True, size=32) + kv_table(w, rows, widths)
    for line in (
        "主办单位：辽宁省针灸学会",
        "联系人：刘老师  联系电话：024-31207000  手机：13904001234",
        "电子邮箱：sjds2021@163.com",
        "网址：http://www.lnzj.org.cn/sjds",
        "通讯地址：沈阳市皇姑区北陵大街33号  邮编：110032",
    ):
        body += para(w, line)
    return w.package(body), EMPTY


def team_contest_form() -> tuple[bytes, dict[str, str]]:
    """A filled contest 报名表: team members in rows under a header of 姓名/职务/手机号码/邮箱."""
    w = Writer("wps")
    widths = [1600, 1700, 1400, 1806, 1800]
    rows = [
        [("团队名称", 1), ("星火队", 4)],
        [("团队信息", 5)],
        [("姓名", 1), ("学历及年级", 1), ("职务", 1), ("手机号码", 1), ("邮箱", 1)],
        [("赵明", 1), ("研究生二年级", 1), ("团队负责人", 1), ("18201603482", 1), ("zhaoming@qq.com", 1)],
        [("钱亮", 1), ("研究生一年级", 1), ("团队成员", 1), ("18801321911", 1), ("qianliang@126.com", 1)],
        [("孙伟", 1), ("本科四年级", 1), ("指导教师", 1), ("13401156407", 1), ("sunwei@bjut.edu.cn", 1)],
        [("参赛题目", 1), ("基于深度学习的针灸穴位识别", 4)],
        [("作品简介", 1), ("利用卷积神经网络识别体表穴位，辅助针灸教学。", 4)],
    ]
    body = w.text_para("报 名 表", center=True, size=32) + para(w, "所在学校/学院：（盖章）")
    body += kv_table(w, rows, widths)
    return w.package(body), EMPTY


def forum_form() -> tuple[bytes, dict[str, str]]:
    """A doctoral forum 报名表 with 电话, 邮箱, 所在地址及邮编 and an abstract."""
    w = Writer("word2016")
    widths = [1800, 2353, 1800, 2353]
    rows = [
        [("姓名", 1), ("周婷", 1), ("年级", 1), ("博士二年级", 1)],
        [("所在学校", 1), ("辽宁中医药大学", 1), ("专业", 1), ("针灸推拿学", 1)],
        [("电话", 1), ("13998765432", 1), ("邮箱", 1), ("zhouting@lnutcm.edu.cn", 1)],
        [("导师姓名", 1), ("吴教授", 1), ("导师职称", 1), ("教授", 1)],
        [("所在地址及邮编", 1), ("沈阳市皇姑区崇山东路79号 110847", 3)],
        [("征文题目", 1), ("电针对慢性疼痛的干预研究", 3)],
        [("摘要（800字以内）", 1), ("本文观察电针对慢性疼痛模型大鼠的镇痛作用。", 3)],
    ]
    body = para(w, "附件1") + w.text_para("2022年博士生学术论坛报名表", center=True, size=30)
    return w.package(body + kv_table(w, rows, widths)), EMPTY


def community_form() -> tuple[bytes, dict[str, str]]:
    """A 竞选报名表 whose value cells still hold the pre-printed instructions."""
    w = Writer("wps")
    widths = [1800, 2353, 1800, 2353]
    rows = [
        [("竞选报名表", 4)],
        [("昵称", 1), ("（必填，无需真实姓名）", 1), ("邮箱", 1), ("（必填，用于通知与联系）", 1)],
        [("社交媒体账号\n联系方式", 1), ("（选填，如微博、微信公众号等）", 3)],
        [("个人简介", 1), ("（必填，简要介绍您的背景、技能或相关经历）", 3)],
        [("手机", 1), ("（优先填写队长手机号）", 3)],
        [("长远愿景", 1), ("（选填，可附链接或邮件附件）", 3)],
    ]
    return w.package(kv_table(w, rows, widths)), EMPTY


def meeting_notice() -> tuple[bytes, dict[str, str]]:
    """A 会议通知 with the organiser's contacts in the text and an empty 回执 table."""
    w = Writer("word2016")
    body = w.text_para("关于召开2021年针灸科普工作会议的通知", center=True, size=32)
    for line in (
        "各市针灸学会：",
        "为总结交流针灸科普工作经验，定于2021年8月20日在沈阳召开全省针灸科普工作会议。现将有关事项通知如下：",
        "一、会议时间：2021年8月20日上午9:00",
        "二、会议地点：沈阳市和平区南京北街1号会议中心",
        "三、主办单位：辽宁省针灸学会",
        "四、请各单位于8月10日前将回执发送至联系邮箱。",
        "联系人：陈静",
        "联系电话：024-23456789  手机：13700001111",
        "电子邮箱：lnzjxh@126.com",
        "地址：沈阳市和平区南京北街1号  邮编：110001",
        "网址：http://www.lnzj.org.cn",
        "附件：会议回执",
    ):
        body += para(w, line)
    rows = [
        [("单位名称", 1), ("姓名", 1), ("职务", 1), ("手机", 1), ("电子邮箱", 1), ("备注", 1)],
        [("", 1)] * 6,
        [("", 1)] * 6,
    ]
    body += kv_table(w, rows, [1600, 1200, 1200, 1500, 1600, 1206])
    return w.package(body), EMPTY


def application_form() -> tuple[bytes, dict[str, str]]:
    """An 申请表 (lab kit application) with 手机/邮箱/邮寄地址/作品简介."""
    w = Writer("word2016")
    widths = [1600, 1300, 1200, 1500, 1200, 1506]
    rows = [
        [("实验平台申请表", 6)],
        [("申请人姓名", 1), ("", 1), ("专业", 1), ("", 1), ("学校", 1), ("", 1)],
        [("手机", 1), ("", 1), ("入学时间", 1), ("", 1), ("邮箱", 1), ("", 1)],
        [("指导老师姓名", 1), ("", 1), ("职称", 1), ("", 1), ("职务", 1), ("", 1)],
        [("作品名称", 1), ("", 5)],
        [("作品简介（200-300字）", 1), ("", 5)],
        [("邮寄地址", 1), ("", 5)],
        [("指导老师意见", 1), ("指导老师签字：", 5)],
    ]
    body = kv_table(w, rows, widths) + para(w, "本申请表需打印、填写、签字后，发送电子版至企业邮箱。")
    return w.package(body), EMPTY


def paper_recommendation() -> tuple[bytes, dict[str, str]]:
    """An 优秀论文推荐表: shares 推荐理由 and the contact block with our form, nothing else."""
    w = Writer("word2016")
    widths = [1800, 2353, 1800, 2353]
    rows = [
        [("论文题目", 1), ("针刺治疗失眠的临床观察", 3)],
        [("作者", 1), ("李华", 1), ("工作单位", 1), ("大连市中医医院", 1)],
        [("主办单位", 1), ("辽宁省针灸学会", 3)],
        [("论文简介", 1), ("观察针刺治疗失眠的疗效。", 3)],
        [("推荐理由", 1), ("选题新颖，数据可靠。", 3)],
        [("联系人", 1), ("李华", 1), ("手机", 1), ("13898765432", 1)],
        [("电子邮箱", 1), ("lihua@dlzy.cn", 1), ("邮编", 1), ("116013", 1)],
        [("联系地址", 1), ("大连市西岗区长江路321号", 3)],
    ]
    body = w.text_para("优秀论文推荐表", center=True, size=32) + kv_table(w, rows, widths)
    return w.package(body), EMPTY


def cover_letter() -> tuple[bytes, dict[str, str]]:
    """A 推荐函 sent with the form: mentions the account and the contacts in running text."""
    w = Writer("word2016")
    body = w.text_para("推荐函", center=True, size=36)
    for line in (
        "中国针灸学会信息与会员部：",
        "根据《关于组织推荐走好网上群众路线“百佳账号”的通知》要求，我会推荐官方微信公众号“大连针灸”参加推选活动。"
        "该账号开通以来坚持科普宣传，粉丝数量稳步增长，推荐理由详见推荐表。",
        "联系人：王晓东，手机：13812345678，电子邮箱：dlzj@163.com。",
        "联系地址：大连市中山区人民路1号，邮编：116001。",
        "大连市针灸学会",
        "2021年7月30日",
    ):
        body += para(w, line)
    return w.package(body), EMPTY


def manifest_list() -> tuple[bytes, dict[str, str]]:
    """A 报送材料清单 (manifest) listing the files of the submission."""
    w = Writer("wps")
    rows = [
        [("序号", 1), ("材料名称", 1), ("文件名", 1), ("备注", 1)],
        [("1", 1), ("推荐表", 1), ("推荐表.docx", 1), ("账号名称、粉丝数量等", 1)],
        [("2", 1), ("图文案例", 1), ("图文案例.docx", 1), ("", 1)],
        [("3", 1), ("视频案例", 1), ("视频.mp4", 1), ("", 1)],
    ]
    body = w.text_para("报送材料清单", center=True, size=32) + kv_table(w, rows, [1000, 2400, 2600, 2306])
    body += para(w, "联系人：王晓东  手机：13812345678  电子邮箱：dlzj@163.com")
    return w.package(body), EMPTY


def english_contact_form() -> tuple[bytes, dict[str, str]]:
    """An English registration form (Name, Phone, E-mail, Address, Postcode)."""
    w = Writer("word2016")
    rows = [
        [("Conference Registration Form", 4)],
        [("Name", 1), ("John Smith", 1), ("Organisation", 1), ("Acme Ltd", 1)],
        [("Phone", 1), ("+44 20 7946 0018", 1), ("E-mail", 1), ("john.smith@example.com", 1)],
        [("Address", 1), ("1 High Street, London", 1), ("Postcode", 1), ("SW1A 1AA", 1)],
        [("Dietary requirements", 1), ("None", 3)],
    ]
    return w.package(kv_table(w, rows, [1800, 2353, 1800, 2353])), EMPTY


def english_contacts_xlsx() -> tuple[bytes, dict[str, str]]:
    """An English contact list: Name | Phone | Email | Address | ZIP, several rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["Name", "Company", "Phone", "Email", "Address", "ZIP"])
    ws.append(["Ann Lee", "Northwind", "555-0100", "ann@example.com", "1 Main St", "10001"])
    ws.append(["Bob Ray", "Contoso", "555-0101", "bob@example.com", "2 Oak Ave", "94105"])
    return _xlsx(wb), EMPTY


def _summary_sheet(records: list[dict[str, str]]) -> bytes:
    from pipeline.campaign import builtin
    from pipeline.reports.summary import unit_headers

    UNIT_HEADERS = unit_headers(builtin().form)

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(list(UNIT_HEADERS))
    for i, rec in enumerate(records):
        row = {
            "单位": f"{rec['运营主体']}",
            "状态": "需补正" if i else "已受理",
            "受理编号": f"TJ-20210730-{i + 1:04d}",
            "发件人": f"unit{i}@example.cn",
            "收到时间": "2021-07-30 10:00",
            "问题": "「手机」应为11位手机号码" if i else "",
            "附件": "推荐表：推荐表.docx（12 KB）",
            "人工决定": "",
            "其他来信（封）": 0,
            **rec,
        }
        ws.append([row.get(h, "") for h in UNIT_HEADERS])
    return _xlsx(wb)


def summary_one_record() -> tuple[bytes, dict[str, str]]:
    """The packet's 汇总表.xlsx with a single account: read as a form only because nothing better exists."""
    v = values("葫芦岛", 13)
    return _summary_sheet([v]), v


def summary_many_records() -> tuple[bytes, dict[str, str]]:
    """The packet's 汇总表.xlsx with three accounts: a list, never a form."""
    return _summary_sheet([values("朝阳", 14), values("锦州", 15), values("大连", 16)]), EMPTY


def _xlsx(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
