"""biglinks.find_big_links on provider HTML and pasted cloud-drive links."""

from __future__ import annotations

from pipeline.message.biglinks import find_big_links

# Shape of an Exmail/QQ block as quoted in jstedfast/MailKit#1241.
QQ_HTML = """<div><includetail></includetail></div><div id="QQMailBigAttach" style="padding:2px">
<hr style="display:none;"><div><b><img src="http://res.mail.qq.com/icon_att.gif">从腾讯企业邮箱发来的超大附件</b></div>
<div style="padding:0"><div style="clear:both;"><div style="padding:10px 0;font-size:12px;">
<div title="案例视频.mp4

文件大小：120.61M

到期时间：2021年09月12日 19:18" class="bigatt_bt"><div style="float:left"><a target="_blank"
href="http://mail.qq.com/cgi-bin/ftnExs_download?t=exs_ftn_download&amp;k=2733&amp;code=f3d30b82"><img border="0"
src="http://res.mail.qq.com/fu_rar.gif"></a></div><div class="name_big"><span class="qqmailbgattach"
expiretime="1631445507" downloadlink="http://mail.qq.com/cgi-bin/ftnExs_download?t=exs_ftn_download&amp;k=2733&amp;code=f3d30b82">案例视频.mp4</span>
<span>(120.61M, 2021年9月12日 19:18 到期)</span></div></div></div></div></div></div>
<p><a href="https://www.example.cn/">学会主页</a></p>"""

NETEASE_HTML = """<div id="divNeteaseBigAttach" style="background:#f4f4f4">
<div>从网易163邮箱发来的超大附件</div>
<a href="https://mail.163.com/large-attachment-download/index.html?p=X&amp;file=abc" target="_blank">推荐材料.zip</a>
<span>2021年8月20日 10:00 到期</span></div>
<a href="http://dashi.163.com/html/cloud/bigfile.html?key=123">下载</a>"""


def test_qq_exmail_block():
    links = find_big_links(QQ_HTML, "")
    assert len(links) == 1
    link = links[0]
    assert link.provider == "qq"
    assert link.url == "http://mail.qq.com/cgi-bin/ftnExs_download?t=exs_ftn_download&k=2733&code=f3d30b82"
    assert link.name == "案例视频.mp4"
    assert link.expires == "2021-09-12 19:18"


def test_netease_block():
    links = find_big_links(NETEASE_HTML, "")
    assert [(x.provider, x.name) for x in links] == [("163", "推荐材料.zip"), ("163", None)]
    assert links[1].url.startswith("http://dashi.163.com/")


def test_baidu_pan_with_code_in_text():
    text = "视频较大，已上传百度网盘：链接: https://pan.baidu.com/s/1AbCdEfG 提取码: x7k9 复制这段内容后打开"
    links = find_big_links("", text)
    assert [(x.provider, x.url) for x in links] == [("baidu", "https://pan.baidu.com/s/1AbCdEfG?pwd=x7k9")]


def test_baidu_pan_with_pwd_in_url_and_html_anchor():
    html = '<p>网盘：<a href="https://pan.baidu.com/s/1xyz?pwd=ab12">https://pan.baidu.com/s/1xyz?pwd=ab12</a></p>'
    links = find_big_links(html, "")
    assert [(x.provider, x.url) for x in links] == [("baidu", "https://pan.baidu.com/s/1xyz?pwd=ab12")]


def test_aliyun_and_weiyun():
    text = "阿里云盘 https://www.aliyundrive.com/s/AbC123，微云 https://share.weiyun.com/xyz789。"
    assert sorted(x.provider for x in find_big_links("", text)) == ["aliyun", "weiyun"]


def test_ordinary_links_ignored_and_garbage_safe():
    assert find_big_links('<a href="https://www.caam.cn/notice">通知</a>', "见 https://www.caam.cn") == []
    assert find_big_links("<div id=QQMailBigAttach><a href='javascript:x'>x</a><<<>", "") == []
    assert find_big_links("", "") == []
