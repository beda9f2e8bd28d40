"""Real builds for the body scanners, 第九条 redaction and the post-build leak scan (第六条, 第七条, 第九条, 第二条)."""

import subprocess
import sys

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, PluginError

from conftest import page

REDACTED = """\
# 关于调整部分区域供水安排的通知

自下周起，凉州区部分区域调整供水时间。
涉及区域：<!-- 密点 -->第三水厂备用取水口位于东河湾南岸暗渠<!-- /密点 -->以外的全部片区。

<!-- 密点 -->
应急调度预案代号：青松-七号。
<!-- /密点 -->

请居民提前储水。
"""


def signed(site, rel, body, **kw):
    site.write(rel, page(body, **kw))
    site.sign_all(rel)


def test_redacted_page_publishes_without_its_secret_points(site):
    signed(site, "water.md", REDACTED, disclosure="删减后公开", review_extra="redactions: 2\n")
    v = site.verdict("water.md")
    assert v.outcome.value == "publish_redacted", [f.render() for f in v.findings]
    site.build()
    text = site.output_text()
    assert "请居民提前储水" in text
    assert "■■■" in text
    site.assert_absent("东河湾南岸暗渠", "第三水厂备用取水口", "青松-七号", "应急调度预案", "密点")


@pytest.mark.parametrize("count, code", [(1, "redaction.count-mismatch"), (None, "redaction.count-missing")])
def test_redaction_count_must_match(site, count, code):
    extra = f"redactions: {count}\n" if count is not None else ""
    signed(site, "water.md", REDACTED, disclosure="删减后公开", review_extra=extra)
    assert code in {f.code for f in site.verdict("water.md").findings}
    site.build()
    site.assert_absent("请居民提前储水", "东河湾南岸暗渠")


def test_markers_on_a_proactive_page_withhold_it(site):
    signed(site, "water.md", REDACTED)
    assert "redaction.not-redacted-page" in {f.code for f in site.verdict("water.md").findings}
    site.build()
    site.assert_absent("东河湾南岸暗渠", "请居民提前储水")


def test_unbalanced_marker_withholds_and_leaks_nothing(site):
    body = "# 通知\n\n公开部分甲。<!-- 密点 -->未闭合的密点内容乙丙丁戊\n"
    signed(site, "p.md", body, disclosure="删减后公开", review_extra="redactions: 1\n")
    assert not site.verdict("p.md").published
    site.build()
    site.assert_absent("未闭合的密点内容乙丙丁戊", "公开部分甲")


@pytest.mark.parametrize("body, code", [
    ("# 通知\n\n秘密★1年\n\n涉密正文子丑寅卯。\n", "content.marking"),
    ("# 通知\n\n内部资料　注意保存\n\n涉密正文子丑寅卯。\n", "content.marking"),
    ("# 通知\n\n（此件不予公开）\n\n涉密正文子丑寅卯。\n", "content.disclosure-note"),
    ("# 通知\n\n申请人身份证号 11010519491231002X，涉密正文子丑寅卯。\n", "content.resident-id"),
    ("# 通知\n\n联系人手机 138 1234 5678，涉密正文子丑寅卯。\n", "content.mobile"),
    ("# 通知\n\n补贴发放至银行卡号 6222 0212 3456 7890 123，涉密正文子丑寅卯。\n", "content.bank-card"),
])
def test_body_content_withholds_a_signed_page(site, body, code):
    signed(site, "p.md", body)
    v = site.verdict("p.md")
    assert code in {f.code for f in v.findings} and not v.published
    site.build()
    site.assert_absent("涉密正文子丑寅卯")


@pytest.mark.parametrize("body", [
    "# 通知\n\n依照《中华人民共和国保守国家秘密法》，涉及国家秘密、工作秘密、商业秘密的信息不得公开。\n",
    "# 通知\n\n申请人身份证号 110105********002X，手机 138****5678，咨询电话 0935-2212345。\n",
    "# 通知\n\n（此件公开发布）\n\n正文。\n",
])
def test_ordinary_text_publishes(site, body):
    signed(site, "p.md", body)
    v = site.verdict("p.md")
    assert v.published, [f.render() for f in v.findings]


def test_pii_allowed_with_a_reason_publishes(site):
    body = "# 公示\n\n举报电话（手机）13812345678，欢迎监督。\n"
    signed(site, "p.md", body, review_extra="pii_allowed:\n  - {value: '13812345678', reason: 公开的举报电话}\n")
    assert site.verdict("p.md").published
    site.build()
    assert "13812345678" in site.output_text()


def test_declassified_page_may_carry_its_old_marking(site):
    body = "# 已解密文件\n\n秘密★5年\n\n已解密正文。\n"
    extra = ("secrecy_period: 5年\n"
             "declassification: {date: 2025-01-01, authority: 武威市国家保密局, document: 武密解〔2025〕1号}\n")
    signed(site, "p.md", body, classification="秘密", review_extra=extra)
    assert site.verdict("p.md").published


def test_leak_planted_by_another_plugin_fails_the_build_and_removes_output(site, caplog):
    signed(site, "index.md", "# 首页\n\n公开首页。\n")
    signed(site, "secret.md", "# 内部\n\n不予公开的内部安排辰巳午未申酉。\n", disclosure="不予公开")
    site.add_hook("from pathlib import Path\n"
                "def on_post_build(config):\n"
                # The real docs_dir by path (config.docs_dir is the approved-only stage).
                "    src = Path(config.config_file_path).parent.joinpath('content', 'secret.md')"
                ".read_text(encoding='utf-8')\n"
                "    Path(config.site_dir, 'leak.html').write_text('<p>' + src.split('---')[-1] + '</p>',"
                " encoding='utf-8')\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "leak.html: leaked-text" in caplog.text
    assert not (site.root / "site").exists()


def test_marking_injected_into_a_published_page_fails_the_build(site, caplog):
    signed(site, "index.md", "# 首页\n\n公开首页。\n")
    site.add_hook("def on_page_content(html, page, config, files):\n"
                "    return '<p>机密★10年</p>' + html\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "secrecy-marking" in caplog.text
    assert "出自页面 index.md" in caplog.text and "page index.md" in caplog.text
    assert not (site.root / "site").exists()


def test_stale_output_of_a_now_withheld_page_is_caught(site, caplog):
    """A dirty build that bypasses the --dirty refusal still cannot ship stale text."""
    signed(site, "index.md", "# 首页\n\n公开首页。\n")
    signed(site, "old.md", "# 旧通知\n\n曾经公开后被撤回的通知内容亥子丑寅。\n")
    site.build()
    assert "曾经公开后被撤回的通知内容亥子丑寅" in site.output_text()
    site.write("old.md", page("# 旧通知\n\n曾经公开后被撤回的通知内容亥子丑寅。补充。\n"))
    cfg = load_config(config_file=str(site.root / "mkdocs.yml"))
    with pytest.raises((PluginError, Abort)):
        build(cfg, dirty=True)
    assert "old/index.html: leaked-text" in caplog.text
    assert not (site.root / "site").exists()


def test_verify_site_checks_an_output_built_without_the_gate(site):
    """verify-site on an ungated build (as Zensical would make) finds the withheld text."""
    signed(site, "index.md", "# 首页\n\n公开首页。\n")
    site.write("draft.md", "# 草稿\n\n未经审查的草稿正文卯辰巳午。\n")
    plain = site.root / "plain.yml"
    plain.write_text("site_name: x\ndocs_dir: content\nsite_dir: plain-site\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(plain)], cwd=site.root,
                   check=True)
    cmd = [sys.executable, "-m", "secrecy_gate.cli", "verify-site", "plain-site", "--format", "json"]
    proc = subprocess.run(cmd, cwd=site.root, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "draft.md" in proc.stdout
    site.build()
    proc = subprocess.run([*cmd[:4], "site"], cwd=site.root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
