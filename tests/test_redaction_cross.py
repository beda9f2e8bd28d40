"""第九条 across the site: a secret point cut from a 删减后公开 page is published nowhere else.

Real git repositories, real signatures, real MkDocs builds; the whole output
is searched for the secret point after each build.
"""

import json
import subprocess
import sys

import docfiles
import pytest
from mkdocs.exceptions import Abort, PluginError

from conftest import page

SECRET = "第三水厂备用取水口位于东河湾南岸暗渠"
REDACTED = f"""\
# 关于调整部分区域供水安排的通知

自下周起，凉州区部分区域调整供水时间。
涉及区域：<!-- 密点 -->{SECRET}<!-- /密点 -->以外的全部片区。

请居民提前储水。
"""


def signed(site, rel, body, **kw):
    site.write(rel, page(body, **kw))
    site.sign_all(rel)


def redacted_page(site, body=REDACTED, **kw):
    kw.setdefault("review_extra", "redactions: 1\n")
    signed(site, "water.md", body, disclosure="删减后公开", **kw)


def codes(site, rel):
    return {f.code for f in site.verdict(rel).findings}


def verify_site(site, out="site"):
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", out,
                           "--format", "json"], cwd=site.root, capture_output=True, text=True)
    return proc.returncode, json.loads(proc.stdout or "[]")


def test_another_page_carrying_the_secret_point_is_withheld_naming_the_redacted_page(site):
    redacted_page(site)
    signed(site, "notice.md", f"# 停水公告\n\n检修范围：{SECRET}及周边。\n")
    signed(site, "index.md", "# 首页\n\n欢迎访问。\n")
    review = site.review()
    assert review.pages["water.md"].published
    notice = review.pages["notice.md"].verdict
    assert not notice.published
    finding = next(f for f in notice.findings if f.code == "redaction.secret-elsewhere")
    assert finding.article == "第九条"
    assert "water.md" in finding.message_zh and "water.md" in finding.message_en
    assert "删减后公开" in finding.message_en and finding.field == "body"
    assert SECRET not in finding.render() and SECRET not in finding.render("en")
    assert review.pages["index.md"].published
    site.build()
    text = site.output_text()
    assert "请居民提前储水" in text and "欢迎访问" in text
    site.assert_absent(SECRET, "东河湾南岸暗渠", "检修范围")
    assert verify_site(site) == (0, [])
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", "site"],
                          cwd=site.root, capture_output=True, text=True)
    assert proc.returncode == 0 and "0 处问题" in proc.stdout and "1 处第九条密点" in proc.stdout


@pytest.mark.parametrize("where, body, extra, field", [
    ("title", REDACTED, "", "front matter"),
    ("document field", REDACTED,
     f"document:\n  index_no: 620600-2026-00001\n  issuer: 示例市人民政府办公室\n  doc_no: 凉政办发{SECRET}1号\n",
     "front matter"),
    ("another paragraph", REDACTED + f"\n附：{SECRET}。\n", "", "body"),
    ("image alt text", REDACTED + f"\n![{SECRET}](map.png)\n", "", "body"),
    ("link title", REDACTED + f'\n[地图](https://map.example/ "{SECRET}")\n', "", "body"),
    ("split by markup and spaces", REDACTED + "\n第三水厂备用取水口位于 **东河湾** <span>南岸</span>暗渠\n", "",
     "body"),
    ("percent-encoded link", REDACTED + "\n[地图](https://map.example/?q=%E7%AC%AC%E4%B8%89%E6%B0%B4"
     "%E5%8E%82%E5%A4%87%E7%94%A8%E5%8F%96%E6%B0%B4%E5%8F%A3%E4%BD%8D%E4%BA%8E%E4%B8%9C%E6%B2%B3"
     "%E6%B9%BE%E5%8D%97%E5%B2%B8%E6%9A%97%E6%B8%A0)\n", "", "body"),
])
def test_a_page_repeating_its_own_secret_point_is_withheld(site, where, body, extra, field):
    title = f"关于{SECRET}的通知" if where == "title" else "供水安排"
    redacted_page(site, body, title=title, extra=extra)
    verdict = site.verdict("water.md")
    finding = next((f for f in verdict.findings if f.code == "redaction.secret-repeated"), None)
    assert finding is not None, [f.render() for f in verdict.findings]
    assert finding.article == "第九条" and field in finding.field
    assert not verdict.published
    site.build()
    site.assert_absent(SECRET, "东河湾南岸暗渠", "请居民提前储水")


def test_full_width_and_spacing_do_not_hide_a_short_secret_point(site):
    redacted_page(site, "# 通知\n\n代号：<!-- 密点 -->青松-7号<!-- /密点 -->。\n\n其余内容公开。\n")
    signed(site, "other.md", "# 其他\n\n行动代号 青松－７ 号 已启用。\n")
    assert "redaction.secret-elsewhere" in codes(site, "other.md")
    site.build()
    site.assert_absent("青松－７", "青松-7")


def test_markers_in_the_front_matter_withhold_the_page_and_count_as_secret_points(site):
    body = "# 通知\n\n公开的正文内容。<!-- 密点 -->正文密点内容甲乙<!-- /密点 -->\n"
    redacted_page(site, body, title="关于<!-- 密点 -->东河湾南岸暗渠<!-- /密点 -->的通知")
    signed(site, "other.md", "# 其他\n\n东河湾南岸暗渠将于下月检修。\n")
    review = site.review()
    water = review.pages["water.md"].verdict
    marked = next(f for f in water.findings if f.code == "redaction.front-matter")
    assert marked.article == "第九条" and marked.field == "front matter"
    assert not water.published
    other = review.pages["other.md"].verdict
    assert "redaction.secret-elsewhere" in {f.code for f in other.findings}
    site.build()
    site.assert_absent("东河湾南岸暗渠", "正文密点内容甲乙")


def test_the_placeholder_and_unrelated_pages_are_not_reported(site):
    redacted_page(site)
    signed(site, "other.md", "# 说明\n\n删除密点后以 ■■■ 表示。第三水厂正常供水，东河湾公园开放。\n")
    review = site.review()
    assert review.pages["other.md"].published, [f.render() for f in review.pages["other.md"].verdict.findings]
    assert review.pages["water.md"].published
    site.build()
    assert "■■■" in site.output_text()
    site.assert_absent(SECRET)


def test_a_withheld_redacted_page_still_protects_its_secret_points(site):
    """The 删减后公开 page waits for its last signature: its secret point is still secret."""
    site.write("water.md", page(REDACTED, disclosure="删减后公开", review_extra="redactions: 1\n"))
    for step in ("originator", "originator_head", "secrecy_office"):
        site.sign("water.md", step)
    signed(site, "notice.md", f"# 停水公告\n\n检修范围：{SECRET}。\n")
    review = site.review()
    assert not review.pages["water.md"].published
    assert "redaction.secret-elsewhere" in {f.code for f in review.pages["notice.md"].verdict.findings}
    site.build()
    site.assert_absent(SECRET)


@pytest.mark.parametrize("name, content", [
    ("files/areas.csv", f"片区,说明\n东片区,{SECRET}\n".encode()),
    ("files/areas.json", json.dumps({"note": SECRET}).encode()),
    ("files/areas.html", f"<p>{SECRET[:9]}<b>{SECRET[9:]}</b></p>".encode()),
    (f"files/{SECRET}.pdf", docfiles.pdf(["binary"])),
])
def test_a_published_attachment_carrying_a_secret_point_withholds_it_and_its_page(site, name,
                                                                                   content):
    import hashlib
    redacted_page(site)
    site.write(name, content)
    sha = hashlib.sha256(content).hexdigest()
    att = f"attachments:\n  - {{path: {name}, sha256: {sha}}}\n"
    signed(site, "list.md", "# 片区名单\n\n见附件。\n", review_extra=att)
    review = site.review()
    findings = {f.code: f for f in review.pages["list.md"].verdict.findings}
    if name.endswith(".pdf"):
        # The file name is in the page's own record (review.attachments): the page carries it.
        assert findings["redaction.secret-elsewhere"].field == "front matter"
    else:
        finding = findings["redaction.secret-in-attachment"]
        assert finding.article == "第九条" and name in finding.message_zh
        assert "water.md" in finding.message_zh and "water.md" in finding.message_en
        assert "water.md" in review.files[name].reason_zh
    assert not review.pages["list.md"].published and not review.files[name].published
    assert review.pages["water.md"].published
    site.build()
    assert not any(f.startswith("files/") for f in site.output_files())
    site.assert_absent(SECRET, "东河湾南岸暗渠", "片区名单")


def test_an_asset_carrying_a_secret_point_is_not_copied(make_site):
    site = make_site(plugin_options="      assets: ['files/*.txt']\n")
    redacted_page(site)
    site.write("files/notes.txt", f"备忘：{SECRET}\n")
    site.write("files/plain.txt", "普通的说明文字。\n")
    review = site.review()
    assert not review.files["files/notes.txt"].published
    assert review.files["files/plain.txt"].published
    site.build()
    assert "files/plain.txt" in site.output_files()
    site.assert_absent(SECRET)


def test_the_leak_scan_keeps_a_secret_point_that_a_published_page_held(site, caplog):
    """Before, a secret point also found in a published page was no needle at all."""
    redacted_page(site)
    signed(site, "notice.md", f"# 停水公告\n\n检修范围：{SECRET}。\n")
    signed(site, "index.md", "# 首页\n\n欢迎访问。\n")
    site.add_hook("def on_page_content(html, page, config, files):\n"
                  f"    return html + '<p>{SECRET}</p>' if page.file.src_uri == 'index.md' else html\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "index.html: leaked-text: 第九条密点 redacted point in water.md" in caplog.text
    assert SECRET not in caplog.text
    assert not (site.root / "site").exists()


def test_a_name_is_reported_but_a_two_character_secret_point_is_too_common_a_string(site):
    redacted_page(site, "# 通知\n\n联系人：<!-- 密点 -->王小明<!-- /密点 -->，片区：<!-- 密点 -->东区<!-- /密点 -->。\n\n"
                        "其余内容公开。\n", review_extra="redactions: 2\n")
    signed(site, "guangdong.md", "# 协作\n\n与广东区域协作的安排公开如下。\n")
    signed(site, "staff.md", "# 值班\n\n本周值班：王小明。\n")
    review = site.review()
    assert review.pages["guangdong.md"].published
    assert "redaction.secret-elsewhere" in {f.code for f in review.pages["staff.md"].verdict.findings}
    site.build()
    assert "与广东区域协作的安排" in site.output_text()
    site.assert_absent("王小明")
