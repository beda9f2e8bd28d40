"""``secrecy-gate audit``: the trail of review entries through git history (第十条, 第十八条).

Real repositories with several identities: a page signed by four people,
edited by the editor and signed again must show all eight signatures, the
edit that voided the first four, and who wrote each one; every format
carries the same facts; the HTML report is one self-contained file, checked
in a real headless browser.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner
from conftest import PEOPLE, STEPS, TODAY, Site, chromium, needs_browser, page

from secrecy_gate.desk.auditrender import LABELS
from secrecy_gate.desk.auditreport import NOTICE, build_report
from secrecy_gate.cli import main

EMAIL = {who: email for who, (_, email) in PEOPLE.items()}
NAME = {who: name for who, (name, _) in PEOPLE.items()}


def audit(site: Site, *args: str, who: str = "editor"):
    return CliRunner().invoke(main, ["audit", *args, "-f", str(site.root / "mkdocs.yml")],
                              env=site.env(who), catch_exceptions=False)


def head(site: Site) -> str:
    return site.git("rev-parse", "HEAD").strip()


def resigned(site: Site, rel: str = "a.md", title: str = "测试页面") -> dict[str, str]:
    """Sign, edit as the editor, sign again; the commits that matter."""
    site.write(rel, page("# A\n\n正文。\n", title=title))
    shas = {}
    for step in STEPS:
        site.sign(rel, step)
        shas[f"first {step}"] = head(site)
    p = site.docs / rel
    p.write_text(p.read_text(encoding="utf-8") + "\n签署后由编辑补充的一段。\n", encoding="utf-8")
    site.commit_all("编辑补充正文", who="editor")
    shas["edit"] = head(site)
    for step in STEPS:
        site.sign(rel, step)
        shas[f"again {step}"] = head(site)
    return shas


def page_data(site: Site, rel: str, lang: str = "zh") -> dict:
    (found,) = [p for p in build_report(site.gate_config(), lang=lang).as_dict()["pages"]
                if p["page"] == rel]
    return found


def test_signed_edited_and_resigned_page_shows_eight_signatures(site):
    shas = resigned(site)
    data = page_data(site, "a.md")
    sigs = [e for e in data["trail"] if e["kind"] == "signature"]
    assert len(sigs) == 8
    first, again = sigs[:4], sigs[4:]
    for event, step in zip(first, STEPS):
        assert event["step"] == step and event["name"] == NAME[step]
        assert [c["sha"] for c in event["commits"]] == [shas[f"first {step}"]]
        assert [c["email"] for c in event["commits"]] == [EMAIL[step]]
        assert event["signer_is_named_person"] is True
        # The editor's commit voided it; re-signing (第十条 starts over) removed it.
        assert event["voided_by"]["sha"] == shas["edit"]
        assert event["voided_by"]["email"] == EMAIL["editor"]
        assert event["removed_by"]["sha"] == shas["again originator"]
        assert not event["valid"] and not event["current"] and not event["void_when_added"]
    for event, step in zip(again, STEPS):
        assert [(c["sha"], c["email"]) for c in event["commits"]] == [(shas[f"again {step}"], EMAIL[step])]
        assert event["valid"] and event["current"]
        assert event["voided_by"] is None and event["removed_by"] is None
    assert data["signatures_valid"] == 4 and data["outcome"] == "publish"
    # The timeline: the edit commit voids exactly the first four, in step order.
    by_sha = {c["sha"]: c for c in data["commits"]}
    assert by_sha[shas["edit"]]["voided"] == [e["id"] for e in first]
    assert by_sha[shas["edit"]]["added"] == []
    assert by_sha[shas["again originator"]]["removed"] == [e["id"] for e in first]
    assert [c["sha"] for c in data["commits"]][1:] == [
        *(shas[f"first {s}"] for s in STEPS), shas["edit"], *(shas[f"again {s}"] for s in STEPS)]
    # The entries of the page now: the four new signatures, in record order.
    assert [e["id"] for e in data["entries"]] == [e["id"] for e in again]


def test_signature_committed_by_another_identity_is_flagged(site):
    site.write("a.md", page("# A\n"))
    site.add_entry("a.md", {"step": "originator", "name": NAME["originator"], "date": TODAY,
                            "opinion": "主动公开"}, who="editor")
    forged_at = head(site)
    site.sign("a.md", "originator_head")
    data = page_data(site, "a.md")
    forged, honest = data["trail"]
    assert forged["name"] == NAME["originator"] and forged["signer_is_named_person"] is False
    assert forged["commits"][0]["sha"] == forged_at
    assert forged["commits"][0]["email"] == EMAIL["editor"]
    assert not forged["valid"] and forged["current"]
    assert honest["signer_is_named_person"] is True and honest["valid"]
    assert data["signatures_valid"] == 1 and data["outcome"] == "withhold"
    text = audit(site, "--lang", "en").output
    assert LABELS["en"]["forged"] in text and forged_at[:10] in text


def test_trail_across_a_merge_and_a_consent(site):
    site.write("a.md", page("# A\n", co="[city-finance]"))
    site.git("checkout", "-q", "-b", "review")
    site.sign("a.md", "originator")
    site.sign("a.md", "originator_head")
    site.git("checkout", "-q", "main")
    site.write("b.md", page("# B\n"))
    site.git("merge", "--no-ff", "-q", "-m", "合并审查分支", "review")
    merge = head(site)
    site.sign("a.md", "secrecy_office")
    site.sign("a.md", "leader")
    site.consent("a.md", "city-finance")
    data = page_data(site, "a.md")
    assert [(e["kind"], e["commits"][0]["email"]) for e in data["trail"]] == [
        *(("signature", EMAIL[s]) for s in STEPS), ("consent", EMAIL["consent"])]
    assert all(e["valid"] and e["voided_by"] is None and e["removed_by"] is None for e in data["trail"])
    assert merge not in {c["sha"] for e in data["trail"] for c in e["commits"]}
    assert data["outcome"] == "publish" and data["signatures_valid"] == 4


def test_without_git_history_the_report_says_so_and_still_lists_pages(site):
    site.write("a.md", page("# A\n"))
    site.sign_all("a.md")
    shutil.rmtree(site.root / ".git")
    result = audit(site)
    assert result.exit_code == 1
    assert "a.md" in result.stdout and "[不发布]" in result.stdout
    assert "无法读取 git 历史" in result.stdout
    data = json.loads(audit(site, "--format", "json", "--lang", "en").stdout)
    assert data["error"] and [p["outcome"] for p in data["pages"]] == ["withhold"]


def test_roster_changes_are_listed_with_their_authors(site):
    roster = site.root / "reviews" / "roster.yml"
    roster.write_text(roster.read_text(encoding="utf-8").replace(
        "steps: [consent]", "steps: [consent, leader]"), encoding="utf-8")
    site.git("commit", "-q", "-am", "名册：周财政兼任分管领导", who="consent")
    changed_at = head(site)
    data = json.loads(audit(site, "--format", "json").stdout)
    assert data["roster"] == "reviews/roster.yml"
    assert [(c["author"], c["email"]) for c in data["roster_changes"]] == [
        (NAME["editor"], EMAIL["editor"]), (NAME["consent"], EMAIL["consent"])]
    assert data["roster_changes"][-1]["sha"] == changed_at
    assert data["roster_changes"][-1]["subject"] == "名册：周财政兼任分管领导"
    text = audit(site).output
    assert f"{changed_at[:10]}" in text and f"{NAME['consent']} <{EMAIL['consent']}>" in text


def test_a_version_that_does_not_parse_is_shown_not_skipped(site):
    good = page("# A\n")
    site.write("a.md", good.replace("review:", "review: [", 1))
    broken_at = head(site)
    site.write("a.md", good)
    data = page_data(site, "a.md")
    steps = {c["sha"]: c for c in data["commits"]}
    assert steps[broken_at]["parse_error"]
    assert audit(site).exit_code == 0
    assert LABELS["zh"]["unparsed"] in audit(site).output


def test_every_format_parses_and_carries_the_same_facts(site):
    shas = resigned(site)
    site.write("b.md", page("# B\n", disclosure="不予公开"), who="editor")
    facts = {(e["step"], e["commits"][0]["sha"], e["commits"][0]["email"],
              (e["voided_by"] or {}).get("sha", ""))
             for e in page_data(site, "a.md")["trail"]}
    assert len(facts) == 8

    result = audit(site, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["notice"] == NOTICE and data["head"] == head(site)
    (a,) = [p for p in data["pages"] if p["page"] == "a.md"]
    assert {(e["step"], e["commits"][0]["sha"], e["commits"][0]["email"],
             (e["voided_by"] or {}).get("sha", "")) for e in a["trail"]} == facts

    raw = audit(site, "--format", "csv").stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese correctly
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    cols = {name: i for i, name in enumerate(rows[0])}
    assert rows[0] == list(LABELS["zh"]["csv_cols"])
    a_rows = [r for r in rows[1:] if r[cols["页面"]] == "a.md"]
    assert {(r[cols["步骤/机关"]], r[cols["写入提交"]], r[cols["写入者邮箱"]], r[cols["作废提交"]])
            for r in a_rows} == facts
    (b_row,) = [r for r in rows[1:] if r[cols["页面"]] == "b.md"]  # no events, still listed
    assert b_row[cols["结论"]] == "不发布"

    md = audit(site, "--format", "md").stdout
    assert md.startswith(f"> **{NOTICE}**")
    assert re.search(r"^\| a\.md \| 测试页面 \| 发布 \| 4/4 \|", md, re.MULTILINE)
    assert re.search(r"^\| b\.md \| 测试页面 \| 不发布 \| 0/4 \|", md, re.MULTILINE)
    assert md.count("~~+ 签署") == 4  # the voided signatures, struck through
    for _, sha, _, voided in facts:
        assert f"`{sha[:10]}`" in md and (not voided or f"`{voided[:10]}`" in md)

    text = audit(site).stdout
    assert text.startswith(NOTICE)
    assert all(sha[:10] in text for sha in shas.values())
    english = audit(site, "--lang", "en").stdout
    assert LABELS["en"]["voided_by"].format(sha=shas["edit"][:10]) in english


def html_report(site: Site, tmp_path: Path, title: str) -> tuple[Path, str]:
    resigned(site, title=title)
    site.write("draft.md", "# 未审查的草稿\n")
    out = tmp_path / "leaders"
    result = audit(site, "--html", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # --html alone writes the file and prints nothing else
    index = out / "index.html"
    return index, index.read_text(encoding="utf-8")


class Tags(HTMLParser):
    """Every (tag, attribute, value) of the real elements of a document."""

    def __init__(self):
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        self.attrs += [(tag, name, value or "") for name, value in attrs]


HOSTILE = '"<script>alert(1)</script><img src=http://evil.invalid/x.png>"'


def test_html_report_is_self_contained_and_escapes_titles(site, tmp_path):
    index, html = html_report(site, tmp_path, HOSTILE)
    assert NOTICE in html and head(site) in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and "<img" not in html.lower()
    # No network: every src=/href= of a real tag is an anchor inside the file, and no
    # URL appears but in the escaped text of the hostile title.
    tags = Tags()
    tags.feed(html)
    refs = [v for _, name, v in tags.attrs if name in ("src", "href", "action", "srcset", "poster")]
    assert refs and all(r.startswith("#") for r in refs)
    assert not tags.names & {"script", "img", "link", "iframe", "object", "embed", "source", "base"}
    assert "@import" not in html and "url(" not in html  # nor does the inline CSS fetch anything
    assert "https://" not in html and html.count("http://") == html.count("http://evil.invalid") > 0
    assert "default-src 'none'" in html
    assert "<del>" in html and html.count("<del>") == 4
    for step in STEPS:
        assert NAME[step] in html and EMAIL[step] in html
    assert "draft.md" in html  # a withheld page is named: internal material


def test_html_report_refuses_docs_dir_and_site_dir(site, tmp_path):
    site.write("a.md", page("# A\n"))
    for place in (site.docs / "audit", site.root / "site" / "audit", site.docs):
        result = audit(site, "--html", str(place))
        assert result.exit_code != 0
        assert "不得写入网站目录" in result.output
        assert not (place / "index.html").exists()


@needs_browser
def test_html_report_renders_in_a_headless_browser(site, tmp_path):
    index, _ = html_report(site, tmp_path, HOSTILE)
    profile, size = tmp_path / "profile", "--window-size=1280,2000"
    dom = chromium(profile, size, "--dump-dom", index.as_uri()).stdout
    for step in STEPS:
        assert NAME[step] in dom
    assert dom.count("<del>") == 4
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text, not run
    png = tmp_path / "report.png"
    chromium(profile, size, f"--screenshot={png}", index.as_uri())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
