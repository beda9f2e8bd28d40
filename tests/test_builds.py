"""Real MkDocs builds in real git repositories: every leak path is closed.

Each withheld page carries a distinctive title and text; after the build the
*whole* output directory (gzip members expanded, search index and sitemap
included, file names too) is searched for them.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import subprocess
import sys

import docfiles
import pytest
from conftest import DOUBLE_ROSTER, STEPS, Site, page
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, PluginError

from secrecy_gate.desk.signing import SignError

SECRET_TITLE = "绝密测试标题乙二"
SECRET_TEXT = "绝密测试文字甲一"
PUBLIC_TEXT = "公开测试文字丙三"
TODAY = datetime.date.today()


def secret_page(**kw) -> str:
    return page(f"# {SECRET_TITLE}\n\n{SECRET_TEXT}，不应出现在网站上。\n", title=SECRET_TITLE, **kw)


def public_page(text: str = PUBLIC_TEXT, **kw) -> str:
    return page(f"# 首页\n\n{text}。\n", title="首页", **kw)


def with_public_index(site: Site) -> Site:
    site.write("index.md", public_page())
    site.sign_all("index.md")
    return site


def snippets_site(make_site, extra: str = "") -> Site:
    """A site with pymdownx.snippets reading from docs_dir, and a published home page."""
    site = make_site()
    site.set_mkdocs_yml((site.root / "mkdocs.yml").read_text(encoding="utf-8") + (
        "markdown_extensions:\n  - pymdownx.snippets:\n"
        f"      base_path: ['{site.docs.as_posix()}']\n{extra}"))
    return with_public_index(site)


def codes(site: Site, rel: str) -> set[str]:
    return {f.code for f in site.review().pages[rel].verdict.findings if f.withholds}


def assert_secret_withheld(site: Site, rel: str = "secret.md"):
    """The page is withheld, and after a real build nothing of it is anywhere in the output."""
    verdict = site.verdict(rel)
    assert not verdict.published
    site.build()
    out = site.output_text()
    assert PUBLIC_TEXT in out, "the published page must still be built"
    site.assert_absent(SECRET_TITLE, SECRET_TEXT)
    stem = rel.rsplit(".", 1)[0]
    assert not [f for f in site.output_files() if f.startswith(stem + "/") or f.startswith(stem + ".")]


@pytest.fixture
def gated(make_site):
    return lambda **kw: with_public_index(make_site(**kw))


# -- 第十条, 第十八条: signatures proven by git -----------------------------------------

def test_signed_page_is_published_in_html_search_and_sitemap(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.sign_all("secret.md")
    site.build()
    files = site.output_files()
    assert "secret/index.html" in files
    out = site.output_text()
    sections = {}
    for chunk in out.split("\n=== ")[1:]:
        header, _, text = chunk.partition(" ===\n")
        sections[header.removesuffix(" (decoded)")] = sections.get(header.removesuffix(" (decoded)"), "") + text
    assert SECRET_TITLE in sections["secret/index.html"]
    assert SECRET_TITLE in sections["search/search_index.json"]  # found only once decoded
    assert "/secret/" in sections["sitemap.xml"]


@pytest.mark.parametrize("how", ["sign-uncommitted-then-editor-commits", "editor-writes-entries"])
def test_forged_signature(gated, how):
    site = gated()
    site.write("secret.md", secret_page())
    if how == "sign-uncommitted-then-editor-commits":
        for step in STEPS[:3]:
            site.sign("secret.md", step)
        # The leader's own tool writes the entry, but the editor commits it.
        site.sign("secret.md", "leader", commit=False)
        site.commit_all("编辑代为提交领导签署", who="editor")
    else:
        for step in STEPS:
            name = {"originator": "王起草", "originator_head": "李科长",
                    "secrecy_office": "赵保密", "leader": "陈领导"}[step]
            site.add_entry("secret.md", {"step": step, "name": name, "date": TODAY,
                                         "opinion": "主动公开"}, who="editor")
    found = site.review().pages["secret.md"].verdict.findings
    forged = [f for f in found if f.code == "git.forged"]
    assert forged and all("editor@city.gov.cn" in f.message_en for f in forged)
    assert {f.code for f in found if f.withholds} == {"git.forged"}
    assert_secret_withheld(site)


def test_body_edited_after_signing(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.sign_all("secret.md")
    assert site.verdict("secret.md").published
    p = site.docs / "secret.md"
    p.write_text(p.read_text(encoding="utf-8") + "\n签署后添加的段落。\n", encoding="utf-8")
    site.commit_all("签署后修改正文")
    assert codes(site, "secret.md") == {"digest.stale"}
    assert_secret_withheld(site)


def test_decision_flipped_after_signing(gated):
    site = gated()
    site.write("secret.md", secret_page(disclosure="不予公开"))
    site.sign_all("secret.md")
    assert codes(site, "secret.md") == {"decision.withheld"}
    p = site.docs / "secret.md"
    p.write_text(p.read_text(encoding="utf-8").replace("disclosure: 不予公开", "disclosure: 主动公开"),
                 encoding="utf-8")
    site.commit_all("把不予公开改成主动公开")
    found = codes(site, "secret.md")
    assert "digest.stale" in found and "signature.leader-opinion" in found
    assert_secret_withheld(site)


def test_signatures_out_of_order_in_the_list(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.sign_all("secret.md")
    p = site.docs / "secret.md"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if "step: originator_head" in line)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    p.write_text("".join(lines), encoding="utf-8")
    site.commit_all("调换签署次序")
    assert "signature.order" in codes(site, "secret.md")
    assert_secret_withheld(site)


def test_signatures_committed_out_of_order(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.sign("secret.md", "originator")
    # The secrecy office signs before the head of the producing agency, who then
    # slips an entry in ahead of it: the list reads in order, the history does not.
    site.add_entry("secret.md", {"step": "secrecy_office", "name": "赵保密", "date": TODAY,
                                 "opinion": "主动公开"}, who="secrecy_office")
    site.add_entry("secret.md", {"step": "originator_head", "name": "李科长", "date": TODAY,
                                 "opinion": "主动公开"}, who="originator_head", index=1)
    site.sign("secret.md", "leader")
    assert codes(site, "secret.md") == {"git.order"}
    assert_secret_withheld(site)


def test_same_person_twice(gated):
    site = gated(roster_extra=DOUBLE_ROSTER)
    site.write("secret.md", secret_page())
    site.sign("secret.md", "originator")
    site.sign("secret.md", "originator_head", who="double")
    with pytest.raises(SignError):
        site.sign("secret.md", "secrecy_office", who="double")
    site.add_entry("secret.md", {"step": "secrecy_office", "name": "孙双岗", "date": TODAY,
                                 "opinion": "主动公开"}, who="double")
    site.sign("secret.md", "leader")
    assert codes(site, "secret.md") == {"signature.same-person"}
    assert_secret_withheld(site)


def test_unauthorised_signer(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.sign("secret.md", "originator")
    # 周财政 may only consent for the finance bureau; he signs step 2 himself.
    site.add_entry("secret.md", {"step": "originator_head", "name": "周财政", "date": TODAY,
                                 "opinion": "主动公开"}, who="consent")
    site.sign("secret.md", "secrecy_office")
    site.sign("secret.md", "leader")
    assert "signature.unauthorised" in codes(site, "secret.md")
    assert "git.forged" not in codes(site, "secret.md")
    assert_secret_withheld(site)


def test_signature_by_unknown_name(gated):
    site = gated()
    site.write("secret.md", secret_page())
    for step in STEPS[:3]:
        site.sign("secret.md", step)
    site.add_entry("secret.md", {"step": "leader", "name": "冒名领导", "date": TODAY,
                                 "opinion": "主动公开"}, who="leader")
    found = codes(site, "secret.md")
    assert "signature.unknown-signer" in found and "git.forged" in found
    assert_secret_withheld(site)


# -- 第十一条: co-agencies ---------------------------------------------------------------

def test_co_agency_needs_consent(gated):
    site = gated()
    site.write("secret.md", secret_page(co="[city-finance]"))
    site.sign_all("secret.md")
    assert codes(site, "secret.md") == {"consent.missing"}
    assert_secret_withheld(site)
    site.consent("secret.md", "city-finance")
    assert site.verdict("secret.md").published
    site.build()
    assert SECRET_TEXT in site.output_text()


def test_consent_written_by_editor_is_forged(gated):
    site = gated()
    site.write("secret.md", secret_page(co="[city-finance]"))
    site.sign_all("secret.md")
    site.add_entry("secret.md", {"agency": "city-finance", "name": "周财政", "date": TODAY},
                   kind="consents", who="editor")
    assert codes(site, "secret.md") == {"git.forged"}
    assert_secret_withheld(site)


# -- 第十八条: the working tree must be the committed, reviewed version --------------------

def test_uncommitted_change_to_signed_page(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.sign_all("secret.md")
    p = site.docs / "secret.md"
    # CRLF line endings leave the digest unchanged: only the git check can withhold.
    p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    assert codes(site, "secret.md") == {"git.uncommitted"}
    assert_secret_withheld(site)
    p.write_text(p.read_text(encoding="utf-8") + "\n未提交的新段落戌十一。\n", encoding="utf-8")
    assert "git.uncommitted" in codes(site, "secret.md")
    site.build()
    site.assert_absent("未提交的新段落戌十一", SECRET_TEXT)


def test_untracked_copy_of_signed_page(gated):
    site = gated()
    site.write("secret.md", secret_page(), commit=False)
    (site.docs / "copy").mkdir()
    (site.docs / "copy" / "secret.md").write_text(
        (site.docs / "index.md").read_text(encoding="utf-8").replace(PUBLIC_TEXT, SECRET_TEXT),
        encoding="utf-8")
    assert codes(site, "secret.md") >= {"git.untracked"}
    assert codes(site, "copy/secret.md") >= {"git.untracked"}
    assert_secret_withheld(site)
    assert_secret_withheld(site, "copy/secret.md")


def test_shallow_clone_withholds_everything(gated, tmp_path):
    site = gated()
    clone = Site.clone(site, tmp_path / "shallow", "--depth", "1")
    review = clone.review()
    verdict = review.pages["index.md"].verdict
    assert not verdict.published
    msg = " ".join(f.message_en + f.fix_en for f in verdict.findings)
    assert "fetch-depth" in msg and "unshallow" in msg
    with pytest.raises((PluginError, Abort)):  # a site that cannot be judged is not built
        clone.build()
    assert PUBLIC_TEXT not in clone.output_text()
    assert "index.html" not in clone.output_files()
    # The full history of the same commit publishes it.
    full = Site.clone(site, tmp_path / "full")
    assert full.verdict("index.md").published


# -- branches and merges -----------------------------------------------------------------

def _signed_on_branch(site: Site):
    site.write("secret.md", secret_page())
    site.git("checkout", "-q", "-b", "review/secret")
    site.sign_all("secret.md")
    site.git("checkout", "-q", "main")
    site.write("other.md", public_page("主干上的其他修改"))


def test_merge_of_review_branch_publishes(gated):
    site = gated()
    _signed_on_branch(site)
    site.git("merge", "--no-ff", "-q", "-m", "合并审查分支", "review/secret", who="editor")
    assert site.verdict("secret.md").published, [f.render() for f in site.verdict("secret.md").findings]
    site.build()
    assert SECRET_TEXT in site.output_text()


def test_squash_merge_is_introduced_by_the_merger(gated):
    site = gated()
    _signed_on_branch(site)
    site.git("merge", "--squash", "-q", "review/secret", who="editor")
    site.git("commit", "-q", "-m", "压缩合并", who="editor")
    assert "git.forged" in codes(site, "secret.md")
    assert_secret_withheld(site)


def test_evil_merge_adds_a_signature(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.git("checkout", "-q", "-b", "review/secret")
    for step in STEPS[:3]:
        site.sign("secret.md", step)
    site.git("checkout", "-q", "main")
    site.write("other.md", public_page("主干上的其他修改"))
    site.git("merge", "--no-ff", "--no-commit", "-q", "review/secret", who="editor")
    site.add_entry("secret.md", {"step": "leader", "name": "陈领导", "date": TODAY,
                                 "opinion": "主动公开"}, commit=False)
    site.git("add", "-A")
    site.git("commit", "-q", "-m", "合并", who="editor")
    assert codes(site, "secret.md") == {"git.forged"}
    assert_secret_withheld(site)


# -- 第二条: no trace anywhere in the output ---------------------------------------------

def test_explicit_nav_is_pruned(make_site):
    site = make_site(mkdocs_extra="nav:\n  - 首页: index.md\n  - 机密导航标题丙四: secret.md\n"
                                  "  - 其他: other.md\n  - 分组:\n    - secret.md\n")
    with_public_index(site)
    site.write("other.md", public_page("另一公开页面"))
    site.sign_all("other.md")
    site.write("secret.md", secret_page())
    # "首页" now names its page's own title: no longer text of the nav's own, so the
    # administrators approve the inputs again (a nav written before its pages).
    site.approve_inputs()
    assert_secret_withheld(site)
    site.assert_absent("机密导航标题丙四", "分组")
    assert "另一公开页面" in site.output_text()


def test_link_to_withheld_page_is_reported(make_site, caplog):
    site = make_site(plugin_options="      verbose: true\n")  # each finding by name
    site.write("index.md", public_page(PUBLIC_TEXT + "，见[内部页面](secret.md)与[附件](files/x.pdf)"))
    site.write("files/x.pdf", b"%PDF-1.4 unreviewed")
    site.sign_all("index.md")
    site.write("secret.md", secret_page())
    with caplog.at_level(logging.INFO):
        assert_secret_withheld(site)
    warnings = [r.getMessage() for r in caplog.records
                if r.name == "mkdocs.plugins.secrecy_gate" and r.levelno >= logging.WARNING]
    assert any("index.md" in m and "secret.md" in m for m in warnings), warnings
    assert any("index.md" in m and "files/x.pdf" in m for m in warnings), warnings
    assert site.verdict("index.md").published
    assert "files/x.pdf" not in site.output_files()


def test_attachments(make_site):
    site = make_site(plugin_options="      assets: ['css/*.css']\n")
    report = docfiles.pdf(["reviewed-attachment-AAA"], compress=False)  # a real PDF: its text is read
    site.write("files/report.pdf", report)
    site.write("files/bad.pdf", b"%PDF-1.4 swapped-attachment-BBB\n")
    site.write("files/other.pdf", b"%PDF-1.4 unlisted-pdf-CCC\n")
    site.write("files/draft.docx", b"PK\x03\x04 unlisted-docx-DDD")
    site.write("index.md.bak", "unlisted-bak-EEE\n")
    site.write("notes.txt", "unlisted-txt-FFF\n")
    site.write("css/site.css", "/* asset-css-GGG */\n")
    site.approve_inputs()  # an assets: file is a build input: approved like a theme file
    site.write("index.md", public_page(
        "见[报告](files/report.pdf)", review_extra=(
            f"attachments:\n  - {{path: files/report.pdf, sha256: {hashlib.sha256(report).hexdigest()}}}\n")))
    site.sign_all("index.md")
    site.write("secret.md", secret_page(review_extra=(
        f"attachments:\n  - {{path: files/bad.pdf, sha256: '{'0' * 64}'}}\n")))
    site.sign_all("secret.md")
    assert codes(site, "secret.md") == {"attachment.hash-mismatch"}
    site.build()
    files = site.output_files()
    assert "files/report.pdf" in files and "css/site.css" in files
    for gone in ("files/bad.pdf", "files/other.pdf", "files/draft.docx", "index.md.bak", "notes.txt"):
        assert gone not in files
    out = site.output_text()
    assert "reviewed-attachment-AAA" in out and "asset-css-GGG" in out
    site.assert_absent("swapped-attachment-BBB", "unlisted-pdf-CCC", "unlisted-docx-DDD",
                       "unlisted-bak-EEE", "unlisted-txt-FFF", SECRET_TEXT, SECRET_TITLE)
    # An attachment replaced after review is no longer copied, and withholds its page.
    (site.docs / "files/report.pdf").write_bytes(b"%PDF-1.4 replaced-HHH")
    site.commit_all("替换附件")
    assert codes(site, "index.md") == {"attachment.hash-mismatch"}
    site.build()
    site.assert_absent("replaced-HHH", "reviewed-attachment-AAA", PUBLIC_TEXT)


@pytest.mark.parametrize("target", ["secret.md", "notes.txt", "./secret.md"])
def test_snippet_include_of_withheld_file(make_site, target):
    site = snippets_site(make_site)
    site.write("secret.md", secret_page())
    site.write("notes.txt", SECRET_TEXT + "\n")
    site.write("host.md", page(f'# 引用页\n\n宿主页面文字丑二。\n\n--8<-- "{target}"\n', title="引用页"))
    site.sign_all("host.md")
    assert codes(site, "host.md") == {"include.unreviewed"}
    site.build()
    assert PUBLIC_TEXT in site.output_text()
    site.assert_absent(SECRET_TEXT, SECRET_TITLE, "宿主页面文字丑二")


def test_stale_output_of_earlier_build_is_gone(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.sign_all("secret.md")
    site.build()
    assert SECRET_TEXT in site.output_text()
    p = site.docs / "secret.md"
    p.write_text(p.read_text(encoding="utf-8").replace("不应出现", "仍不应出现"), encoding="utf-8")
    site.commit_all("修改后未重新审查")
    assert_secret_withheld(site)


def test_unreviewed_extra_template_is_not_rendered(make_site):
    site = make_site(mkdocs_extra="extra_templates:\n  - secret.html\n")
    with_public_index(site)
    site.write("secret.html", f"<html><body><h1>{SECRET_TITLE}</h1><p>{SECRET_TEXT}</p></body></html>\n")
    site.build()
    assert PUBLIC_TEXT in site.output_text()
    site.assert_absent(SECRET_TEXT, SECRET_TITLE)


# -- the build's own refusals and failures --------------------------------------------------

def test_dirty_build_is_refused(gated):
    site = gated()
    site.write("secret.md", secret_page())
    with pytest.raises((PluginError, Abort), match="dirty"):
        site.build(dirty=True)
    assert not (site.root / "site").exists()


def test_fail_on_withheld_fails_and_leaves_nothing(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.sign_all("secret.md")
    site.build()
    assert SECRET_TEXT in site.output_text()  # an earlier build published it
    p = site.docs / "secret.md"
    p.write_text(p.read_text(encoding="utf-8") + "\n签署后改动。\n", encoding="utf-8")
    site.commit_all("签署后改动")
    yml = site.root / "mkdocs.yml"
    site.set_mkdocs_yml(yml.read_text(encoding="utf-8").replace("fail_on_withheld: false",
                                                                "fail_on_withheld: true"))
    with pytest.raises((PluginError, Abort)):
        site.build()
    site.assert_absent(SECRET_TEXT, SECRET_TITLE)
    assert not any(f.startswith("secret") for f in site.output_files())


def test_fail_on_withheld_allows_decisions(make_site):
    site = with_public_index(make_site(fail_on_withheld=True))
    site.write("secret.md", secret_page(disclosure="不予公开"))
    site.sign_all("secret.md")
    assert_secret_withheld(site)


def test_strict_fails_when_a_page_is_withheld_for_a_finding(gated):
    site = gated()
    site.build(strict=True)  # all pages reviewed: strict passes
    site.write("secret.md", secret_page())
    with pytest.raises(Abort):
        site.build(strict=True)
    site.assert_absent(SECRET_TEXT, SECRET_TITLE)


def test_build_never_shows_the_preview_banner(gated):
    site = gated(plugin_options="      serve_preview: true\n")
    site.write("secret.md", secret_page())
    for command, preview in (("serve", True), ("build", False)):
        cfg = load_config(config_file=str(site.root / "mkdocs.yml"))
        cfg.plugins.on_startup(command=command, dirty=False)
        cfg.plugins.on_config(cfg)
        assert cfg.plugins["secrecy-gate"].preview is preview
        cfg.plugins.on_shutdown()
    site.build()
    site.assert_absent("预览：未经保密审查", SECRET_TEXT)


def test_mkdocs_build_command_prints_summary(gated):
    site = gated()
    site.write("secret.md", secret_page())
    site.write("decided.md", page("# 决定不公开\n", disclosure="不予公开"))
    site.sign_all("decided.md")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=site.root,
                         capture_output=True, text=True, timeout=120)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "发布 1 页" in log and "不发布 2 页" in log
    # Grouped by kind: one line per kind with its count and an example, no page-by-page list.
    assert "signature.missing（第十条）：1 页，如 secret.md" in log
    assert "decision.withheld（第五条）：1 页，如 decided.md" in log
    assert "+ index.md" not in log and "- secret.md" not in log
    assert "secrecy-gate check" in log and "mkdocs build -v" in log
    # Verbose: every page by name.
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-v"], cwd=site.root,
                         capture_output=True, text=True, timeout=120)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "+ index.md" in log
    assert "- secret.md" in log and "signature.missing" in log
    assert "- decided.md" in log and "decision.withheld" in log
    # SECRECY_GATE_VERBOSE=1 (what scripts/build sets for the sample): page by page too.
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=site.root,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "SECRECY_GATE_VERBOSE": "1"})
    assert run.returncode == 0 and "+ index.md" in run.stderr and "- secret.md" in run.stderr
    site.assert_absent(SECRET_TEXT, SECRET_TITLE, "决定不公开")
    for args in (["--dirty"], ["--strict"]):
        bad = subprocess.run([sys.executable, "-m", "mkdocs", "build", *args], cwd=site.root,
                             capture_output=True, text=True, timeout=120)
        assert bad.returncode != 0, args


def test_symlink_to_file_outside_docs_is_not_published(gated):
    site = gated()
    outside = site.root / "drafts"
    outside.mkdir()
    (outside / "secret.md").write_text(secret_page(), encoding="utf-8")
    (outside / "memo.pdf").write_bytes(f"%PDF-1.4 {SECRET_TEXT}".encode())
    (site.docs / "secret.md").symlink_to(outside / "secret.md")
    (site.docs / "memo.pdf").symlink_to(outside / "memo.pdf")
    (site.docs / "linked").symlink_to(outside, target_is_directory=True)
    site.commit_all("链接到文档目录之外的文件")
    site.build()
    assert PUBLIC_TEXT in site.output_text()
    site.assert_absent(SECRET_TEXT, SECRET_TITLE)
    assert not [f for f in site.output_files() if f.startswith(("secret", "memo", "linked"))]


@pytest.mark.parametrize("shape", ["crlf", "ends-at-fence", "crlf-ends-at-fence"])
def test_published_page_renders_without_its_front_matter(gated, shape):
    site = gated()
    text = {"crlf": secret_page().replace("\n", "\r\n"),
            "ends-at-fence": page("", title=SECRET_TITLE).rstrip("\n"),
            "crlf-ends-at-fence": page("", title=SECRET_TITLE).rstrip("\n").replace("\n", "\r\n")}[shape]
    site.write("secret.md", text)
    site.sign_all("secret.md")
    assert site.verdict("secret.md").published
    raw = (site.docs / "secret.md").read_bytes()
    assert (b"\r\n" in raw) == shape.startswith("crlf")
    assert raw.endswith(b"---") == shape.endswith("fence")
    site.build()
    html = (site.root / "site" / "secret" / "index.html").read_text(encoding="utf-8")
    assert shape != "crlf" or SECRET_TEXT in html
    assert f"<title>{SECRET_TITLE}" in html
    for record_text in ("sha256:", "lead_agency", "王起草"):
        assert record_text not in html, record_text


INCLUDE_SYNTAXES = [
    '--8<-- "secret.md"',
    "--8<-- 'secret.md'",
    '  -8<- "secret.md:2:4"',
    ';--8<-- "secret.md"',
    '--8<--\nintro.md\nsecret.md\n--8<--',
    '{! secret.md !}',
    '{% include "secret.md" %}',
    '{%- include_markdown "secret.md" %}',
    '{% include-markdown "secret.md" start="<!--s-->" %}',
    '{% include-markdown \'secret.md\' %}',
    "{{ include_file('secret.md') }}",
]


@pytest.mark.parametrize("directive", INCLUDE_SYNTAXES)
def test_include_directives_are_recognised(directive):
    from secrecy_gate.core.findings import Verdict
    from secrecy_gate.core.frontmatter import parse
    from secrecy_gate.review.gate import PageResult, SiteReview, includes_unreviewed
    host = PageResult("host.md", Verdict("host.md"), document=parse(page(f"# 宿主\n\n{directive}\n")))
    review = SiteReview(pages={"host.md": host, "secret.md": PageResult("secret.md", Verdict(
        "secret.md", [_withholding()]))})
    found = list(includes_unreviewed(host, review, None))
    assert [f.code for f in found] == ["include.unreviewed"]
    assert "secret.md" in found[0].field or "intro.md" in found[0].field


def _withholding():
    from secrecy_gate.core.findings import Finding
    return Finding("signature.missing", "第十条", "secret.md", "未签署", "unsigned")


def test_nested_snippet_include_withholds_every_host(make_site):
    site = snippets_site(make_site)
    site.write("secret.md", secret_page())
    site.write("middle.md", page('# 中间页\n\n中间页文字寅三。\n\n--8<-- "secret.md"\n', title="中间页"))
    site.write("host.md", page('# 宿主页\n\n宿主页文字卯四。\n\n--8<-- "middle.md"\n', title="宿主页"))
    site.sign_all("middle.md")
    site.sign_all("host.md")
    review = site.review()
    assert not review.pages["middle.md"].published and not review.pages["host.md"].published
    site.build()
    assert PUBLIC_TEXT in site.output_text()
    site.assert_absent(SECRET_TEXT, "中间页文字寅三", "宿主页文字卯四")


REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


def _nav_titles(nav, withheld: set[str]):
    for item in nav or []:
        if isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str) and value in withheld:
                    yield title
                elif isinstance(value, list):
                    yield from _nav_titles(value, withheld)


def test_mkdocs_build_of_the_sample_repository(tmp_path):
    """`mkdocs build` in (a clone of the committed) sample site prints the summary, leaks nothing."""
    tracked = subprocess.run(["git", "ls-files", "mkdocs.yml", "content"], cwd=REPO,
                             capture_output=True, text=True).stdout.split()
    if "mkdocs.yml" not in tracked:
        pytest.skip("the sample site is not committed yet")
    clone = tmp_path / "sample"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    out_dir = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-v", "-d", str(out_dir)], cwd=clone,
                         capture_output=True, text=True, timeout=300)
    log = run.stdout + run.stderr
    pages = sorted(p.relative_to(clone / "content").as_posix()
                   for p in (clone / "content").rglob("*.md"))
    assert pages
    listed = {}
    for rel in pages:
        mark = [m for m in ("+", "-") if f"{m} {rel}  [" in log]
        assert len(mark) == 1, (rel, log)
        listed[rel] = mark[0]
    assert run.returncode == 0 or "fail_on_withheld" in log, log
    if run.returncode != 0:
        return
    output = Site.__new__(Site)
    output.root = tmp_path
    (tmp_path / "site").symlink_to(out_dir)
    withheld = {rel for rel, m in listed.items() if m == "-"}
    for rel in withheld:
        body = (clone / "content" / rel).read_text(encoding="utf-8", errors="replace")
        distinctive = max((line.strip() for line in body.splitlines()
                           if not line.startswith(("---", " ", "#", "-", ">", "|"))
                           and ":" not in line and "：" not in line), key=len, default="")
        if len(distinctive) >= 8:
            output.assert_absent(distinctive)
        assert not (out_dir / rel.rsplit(".", 1)[0]).exists(), rel
    cfg = load_config(config_file=str(clone / "mkdocs.yml"))
    published_sources = "".join((clone / "content" / rel).read_text(encoding="utf-8", errors="replace")
                                for rel, m in listed.items() if m == "+")
    # A nav title that published text also uses (e.g. 依申请公开) proves nothing either way.
    output.assert_absent(*[t for t in _nav_titles(cfg.nav, withheld) if t not in published_sources])
    for rel, m in listed.items():
        if m == "+":
            stem = rel.rsplit(".", 1)[0]
            html = "index.html" if stem == "index" else f"{stem}/index.html"
            assert (out_dir / html).is_file(), rel


def test_snippet_name_shared_with_a_published_page_next_to_the_host(make_site):
    # sub/host.md includes "secret.md": snippets reads it from its base path (docs root,
    # withheld), while a published sub/secret.md sits next to the host.
    site = snippets_site(make_site)
    site.write("sub/secret.md", public_page("同名的公开页面辰五"))
    site.sign_all("sub/secret.md")
    site.write("sub/host.md", page('# 宿主\n\n宿主页文字巳六。\n\n--8<-- "secret.md"\n', title="宿主"))
    site.sign_all("sub/host.md")
    site.write("secret.md", secret_page())
    assert codes(site, "sub/host.md") == {"include.unreviewed"}
    site.build()
    assert "同名的公开页面辰五" in site.output_text()
    site.assert_absent(SECRET_TEXT, SECRET_TITLE, "宿主页文字巳六")


def test_snippet_include_of_a_published_page_is_allowed(make_site):
    site = snippets_site(make_site)
    site.write("shared.md", public_page("共用的公开段落午七"))
    site.sign_all("shared.md")
    site.write("sub/host.md", page('# 宿主\n\n--8<-- "shared.md"\n', title="宿主"))
    site.sign_all("sub/host.md")
    assert site.verdict("sub/host.md").published
    site.build()
    host = (site.root / "site" / "sub" / "host" / "index.html").read_text(encoding="utf-8")
    assert "共用的公开段落午七" in host


@pytest.mark.parametrize("signed", [False, True])
def test_snippets_auto_append_counts_as_an_include_on_every_page(make_site, signed):
    site = snippets_site(make_site, "      auto_append: ['secret.md']\n")
    site.write("secret.md", secret_page())
    if signed:
        site.sign_all("secret.md")
        assert site.verdict("index.md").published
        site.build()
        assert SECRET_TEXT in site.output_text() and PUBLIC_TEXT in site.output_text()
    else:
        assert codes(site, "index.md") == {"include.unreviewed"}
        site.build()
        site.assert_absent(SECRET_TEXT, SECRET_TITLE, PUBLIC_TEXT)


def test_snippet_read_from_outside_docs_is_unreviewed(make_site):
    # Default base_path "." is the directory of mkdocs.yml: "notice.md" there is not the
    # published content/notice.md the reviewers saw.
    site = make_site(mkdocs_extra="markdown_extensions:\n  - pymdownx.snippets\n")
    with_public_index(site)
    site.write("notice.md", public_page("文档目录内的公开通知未八"))
    site.sign_all("notice.md")
    site.write("host.md", page('# 宿主\n\n宿主页文字申九。\n\n--8<-- "notice.md"\n', title="宿主"))
    site.sign_all("host.md")
    assert site.verdict("host.md").published
    (site.root / "notice.md").write_text(f"{SECRET_TEXT}\n", encoding="utf-8")
    site.commit_all("仓库根目录的同名文件")
    assert codes(site, "host.md") == {"include.unreviewed"}
    site.build()
    assert "文档目录内的公开通知未八" in site.output_text()
    site.assert_absent(SECRET_TEXT, "宿主页文字申九")


@pytest.mark.parametrize("name", ["index.md:/../partials/hotline.md", "index.md'/../partials/hotline.md",
                                  "index.md#/../partials/hotline.md", "index.md:/../../partials/hotline.md"])
@pytest.mark.parametrize("base", ["default", "docs"])
def test_snippet_name_that_normalises_out_of_docs_dir(make_site, name, base):
    """Red team: snippets joins the whole name to its base and normalises `index.md:/..` away,
    so a name that starts like a published page with a line or section suffix reaches a file
    outside docs_dir.  The gate reads the name as snippets does: unreviewed include."""
    site = make_site()
    options = "" if base == "default" else f"      base_path: ['{site.docs.as_posix()}']\n"
    site.set_mkdocs_yml((site.root / "mkdocs.yml").read_text(encoding="utf-8")
                        + "markdown_extensions:\n  - pymdownx.snippets:\n" + options)
    with_public_index(site)
    (site.root / "partials").mkdir()
    (site.root / "partials" / "hotline.md").write_text("未经审查的片段文字寅卯辰\n", encoding="utf-8")
    (site.docs / "partials").mkdir()
    (site.docs / "partials" / "hotline.md").write_text("未经审查的片段文字寅卯辰\n", encoding="utf-8")
    site.commit_all("片段")
    quote = "'" if "'" not in name else '"'
    site.write("hotline.md", page(f"# 热线\n\n咨询电话如下。\n\n--8<-- {quote}{name}{quote}\n", title="热线"))
    site.sign_all("hotline.md")
    assert "include.unreviewed" in codes(site, "hotline.md")
    site.build()
    site.assert_absent("未经审查的片段文字寅卯辰", "咨询电话如下")


def test_snippet_line_and_section_suffixes_of_a_published_page_still_publish(make_site):
    site = snippets_site(make_site)
    site.write("shared.md", public_page("共用段落一\n\n共用段落二\n\n<!-- --8<-- [start:part] -->\n分节文字\n"
                                        "<!-- --8<-- [end:part] -->\n"))
    site.sign_all("shared.md")
    site.write("host.md", page('# 宿主\n\n--8<-- "shared.md:1:3"\n\n--8<-- "shared.md:part"\n', title="宿主"))
    site.sign_all("host.md")
    assert site.verdict("host.md").published
