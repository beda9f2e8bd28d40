"""The ``secrecy-gate`` command: sign, consent, check, audit, status, new, schema.

Commands run through click's CliRunner with each identity's git environment
(``GIT_AUTHOR_EMAIL`` …), in real repositories; the signer is whoever git
says the author is.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import DOUBLE_ROSTER, PEOPLE, STEPS, Site, page

from secrecy_gate.cli import main
from secrecy_gate.core.frontmatter import parse, to_jsonable

TODAY = _dt.date.today()


def run(site: Site, who: str, *args: str):
    result = CliRunner().invoke(main, [*args, "-f", str(site.root / "mkdocs.yml")],
                                env=site.env(who), catch_exceptions=False)
    return result


def sign(site: Site, rel: str, step: str, who: str | None = None, opinion: str = "主动公开",
         *extra: str):
    return run(site, who or step, "sign", str(site.docs / rel), "--step", step, "--opinion", opinion,
               *extra)


def head(site: Site) -> str:
    return site.git("rev-parse", "HEAD").strip()


def signatures(site: Site, rel: str) -> list[dict]:
    return parse((site.docs / rel).read_bytes()).meta["review"].get("signatures") or []


COMMENTED = """\
---
# 页面说明：本注释必须保留
review:  # 审查记录
  disclosure: 主动公开      # 第五条
  classification: 非密      # 第五、六条（键序与模板不同）
  reason: '本机关制定的规范性文件，应当主动公开'
  basis: "《中华人民共和国政府信息公开条例》第二十条"
  sensitive:
    # 第八条逐项作答
    other_risks: false
    economic_data: no
    historical_events: false
    pending_cases: false
    cautious_matters: false
  third_party: {involved: false}   # 第七条
  lead_agency: city-office
  co_agencies: []
title: 键在后面的标题   # title after review
document:
  doc_no: 示政办发〔2026〕1号
---
# 正文标题

行尾有空格的段落。   \n\t制表符开头的行
---

水平线之后，没有结尾换行"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_sign_preserves_comments_key_order_and_body(site, newline):
    original = COMMENTED.replace("\n", newline).encode("utf-8")
    site.write("a.md", original)
    fm_before, body_before = original.split(f"{newline}---{newline}".encode(), 1)
    for step in STEPS:
        result = sign(site, "a.md", step)
        assert result.exit_code == 0, result.output
    after = (site.docs / "a.md").read_bytes()
    fm_after, body_after = after.split(f"{newline}---{newline}".encode(), 1)
    assert body_after == body_before
    lines = fm_after.decode().split(newline)
    added = [line for line in lines if line.strip().startswith(("signatures:", "- {step:"))]
    assert len(added) == 5
    assert [line for line in lines if line not in added] == fm_before.decode().split(newline)
    assert site.verdict("a.md").published


def test_sign_keeps_body_line_endings_byte_for_byte(site):
    original = page("# 标题\r\n\r\n混合换行的正文。\n第二行\r\n").replace("\n", "\r\n").replace(
        "\r\r\n", "\r\n").encode()
    original = original.replace("混合换行的正文。\r\n".encode(), "混合换行的正文。\n".encode())
    assert b"\r\n" in original and "混合换行的正文。\n第".encode() in original
    site.write("a.md", original)
    assert sign(site, "a.md", "originator").exit_code == 0
    after = (site.docs / "a.md").read_bytes()
    body = original.split(b"\r\n---\r\n", 1)[1]
    assert after.endswith(body)
    assert site.review().pages["a.md"].verdict.findings[0].code == "signature.missing"


def test_sign_writes_entry_and_commits_as_signer(site):
    site.write("a.md", page("# A\n"))
    result = sign(site, "a.md", "originator", None, "proactive", "--comment", "同意公开")
    assert result.exit_code == 0, result.output
    (entry,) = signatures(site, "a.md")
    assert entry["step"] == "originator" and entry["name"] == "王起草"
    assert entry["opinion"] == "主动公开" and entry["comment"] == "同意公开"
    assert entry["digest"].startswith("sha256:")
    author = site.git("log", "-1", "--format=%ae %an").strip()
    assert author == "drafter@city.gov.cn 王起草"
    assert site.git("show", "--name-only", "--format=", "HEAD").split() == ["content/a.md"]


def _prepare_refusal(site: Site, case: str) -> tuple[str, str, str, str]:
    """Set the page up; return (step, who, opinion, expected text in the error)."""
    if case == "incomplete":
        site.write("a.md", page("# A\n").replace("  basis: 《中华人民共和国政府信息公开条例》第二十条\n", ""))
        return "originator", "originator", "主动公开", "incomplete"
    site.write("a.md", page("# A\n"))
    if case == "not-in-roster":
        return "originator", "editor", "主动公开", "not in the roster"
    if case == "not-authorised":
        return "originator", "consent", "主动公开", "not authorised"
    if case == "out-of-order":
        return "secrecy_office", "secrecy_office", "主动公开", "in order"
    if case == "leader-opinion":
        for step in STEPS[:3]:
            site.sign("a.md", step)
        return "leader", "leader", "依申请公开", "differs from review.disclosure"
    if case == "same-person":
        site.sign("a.md", "originator")
        site.sign("a.md", "originator_head", who="double")
        return "secrecy_office", "double", "主动公开", "four different people"
    if case == "already-complete":
        site.sign_all("a.md")
        return "leader", "leader", "主动公开", "in order"
    raise AssertionError(case)


REFUSALS = ["not-in-roster", "not-authorised", "out-of-order", "incomplete", "leader-opinion",
            "same-person", "already-complete"]


@pytest.mark.parametrize("case", REFUSALS)
def test_sign_refuses(make_site, case):
    site = make_site(roster_extra=DOUBLE_ROSTER)
    step, who, opinion, expected = _prepare_refusal(site, case)
    before, commit = (site.docs / "a.md").read_bytes(), head(site)
    result = sign(site, "a.md", step, who, opinion)
    assert result.exit_code != 0
    assert expected in result.output, result.output
    assert (site.docs / "a.md").read_bytes() == before
    assert head(site) == commit


def test_sign_refuses_files_that_are_not_docs_pages(site, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text(page("# 外部\n"), encoding="utf-8")
    site.write("files/x.txt", "附件\n")
    for target, expected in ((outside, "not under docs_dir"), (site.docs / "files/x.txt",
                                                                "not a Markdown page")):
        result = run(site, "originator", "sign", str(target), "--step", "originator",
                     "--opinion", "主动公开")
        assert result.exit_code == 1, result.output
        assert expected in result.output


def test_resign_after_edit_drops_void_signatures(site):
    site.write("a.md", page("# A\n\n原文。\n"))
    site.sign("a.md", "originator")
    site.sign("a.md", "originator_head")
    p = site.docs / "a.md"
    p.write_text(p.read_text(encoding="utf-8").replace("原文", "修改后的正文"), encoding="utf-8")
    site.commit_all("修改正文")
    assert len(signatures(site, "a.md")) == 2
    refused = sign(site, "a.md", "secrecy_office")
    assert refused.exit_code != 0 and "start over" in refused.output
    result = sign(site, "a.md", "originator")
    assert result.exit_code == 0, result.output
    assert "removed 2 void signature(s)" in result.output
    (entry,) = signatures(site, "a.md")
    assert entry["step"] == "originator"
    for step in STEPS[1:]:
        assert sign(site, "a.md", step).exit_code == 0
    assert site.verdict("a.md").published


def test_no_commit_leaves_the_entry_uncommitted(site):
    site.write("a.md", page("# A\n"))
    commit = head(site)
    result = sign(site, "a.md", "originator", None, "主动公开", "--no-commit")
    assert result.exit_code == 0 and "not committed" in result.output
    assert head(site) == commit
    assert site.git("status", "--porcelain", "--", "content/a.md").startswith(" M")
    assert len(signatures(site, "a.md")) == 1
    assert "git.uncommitted" in {f.code for f in site.verdict("a.md").findings}
    site.git("commit", "-q", "-am", "起草人提交签署", who="originator")
    assert [f.code for f in site.verdict("a.md").findings if f.withholds] == ["signature.missing"]


def test_consent(site):
    site.write("a.md", page("# A\n", co="[city-finance]"))
    site.sign_all("a.md")
    assert not site.verdict("a.md").published
    refused = run(site, "editor", "consent", str(site.docs / "a.md"), "--agency", "city-finance")
    assert refused.exit_code != 0 and "not in the roster" in refused.output
    wrong = run(site, "consent", "consent", str(site.docs / "a.md"), "--agency", "city-secrecy")
    assert wrong.exit_code != 0 and "co_agencies" in wrong.output
    result = run(site, "consent", "consent", str(site.docs / "a.md"), "--agency", "city-finance")
    assert result.exit_code == 0, result.output
    (entry,) = parse((site.docs / "a.md").read_bytes()).meta["review"]["consents"]
    assert entry["agency"] == "city-finance" and entry["name"] == "周财政"
    assert site.git("log", "-1", "--format=%ae").strip() == "finance@city.gov.cn"
    assert site.verdict("a.md").published


def test_check_exit_codes_and_json(site):
    site.write("index.md", page("# 首页\n"))
    site.sign_all("index.md")
    site.write("decided.md", page("# 不予公开\n", disclosure="不予公开"))
    site.sign_all("decided.md")
    ok = run(site, "editor", "check")
    assert ok.exit_code == 0, ok.output
    assert "index.md: 发布" in ok.output and "decided.md: 不发布" in ok.output
    site.write("draft.md", page("# 草稿\n"))
    bad = run(site, "editor", "check", "--format", "json")
    assert bad.exit_code == 1
    data = json.loads(bad.output)
    outcomes = {p["page"]: p["outcome"] for p in data["pages"]}
    assert outcomes == {"index.md": "publish", "decided.md": "withhold", "draft.md": "withhold"}
    draft = next(p for p in data["pages"] if p["page"] == "draft.md")
    assert draft["findings"][0]["code"] == "signature.missing"
    assert draft["findings"][0]["article"] == "第十条"
    only = run(site, "editor", "check", str(site.docs / "index.md"))
    assert only.exit_code == 0 and "draft.md" not in only.output
    english = run(site, "editor", "check", "--lang", "en", str(site.docs / "draft.md"))
    assert english.exit_code == 1 and "is not signed yet" in english.output


def test_audit_json_shows_who_committed_each_signature(site):
    site.write("a.md", page("# A\n"))
    site.sign_all("a.md")
    result = run(site, "editor", "audit", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (entry_page,) = [p for p in data["pages"] if p["page"] == "a.md"]
    assert entry_page["outcome"] == "publish"
    assert [c["email"] for c in entry_page["commits"]][0] == "editor@city.gov.cn"
    signed = {e["step"]: e for e in entry_page["entries"]}
    assert list(signed) == list(STEPS)
    for step, e in signed.items():
        name, email = PEOPLE[step]
        assert e["name"] == name
        assert [(c["author"], c["email"]) for c in e["commits"]] == [(name, email)]
        assert e["digest_valid"] and not e["changed_after_signing"]
    assert [c["email"] for c in data["roster_changes"]] == ["editor@city.gov.cn"]
    # The roster is security-critical: a committed change to it is in the trail, by author.
    roster = site.root / "reviews" / "roster.yml"
    roster.write_text(roster.read_text(encoding="utf-8").replace("steps: [consent]",
                                                                 "steps: [consent, leader]"),
                      encoding="utf-8")
    site.git("commit", "-q", "-am", "名册：周财政兼任分管领导", who="consent")
    data = json.loads(run(site, "editor", "audit", "--format", "json").output)
    assert [(c["author"], c["email"]) for c in data["roster_changes"]] == [  # oldest first
        ("网站编辑", "editor@city.gov.cn"), ("周财政", "finance@city.gov.cn")]
    # After an edit the trail says content changed after signing.
    p = site.docs / "a.md"
    p.write_text(p.read_text(encoding="utf-8") + "\n新增\n", encoding="utf-8")
    site.commit_all("签署后修改")
    data = json.loads(run(site, "editor", "audit", "--format", "json").output)
    (entry_page,) = [p for p in data["pages"] if p["page"] == "a.md"]
    assert all(e["changed_after_signing"] and not e["digest_valid"] for e in entry_page["entries"])


def test_status_names_the_next_step_and_who(site):
    site.write("a.md", page("# A\n"))
    site.sign("a.md", "originator")
    site.sign("a.md", "originator_head")
    result = run(site, "editor", "status", "--format", "json")
    (row,) = json.loads(result.output)
    assert row["next"].startswith("secrecy_office") and row["who"] == ["赵保密"]


def test_new_then_schema(site):
    target = site.docs / "新页面.md"
    title = '关于“新页面”的通知: 第1号 #2'
    created = CliRunner().invoke(main, ["new", str(target), "--title", title, "--agency", "city-office"])
    assert created.exit_code == 0, created.output
    again = CliRunner().invoke(main, ["new", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output
    doc = parse(target.read_bytes())
    assert doc.meta["title"] == title and doc.meta["review"]["lead_agency"] == "city-office"
    assert doc.body.startswith(f"\n# {title}\n")
    site.commit_all("新页面")
    check = run(site, "editor", "check", "--format", "json", str(target))
    assert check.exit_code == 1
    findings = json.loads(check.output)["pages"][0]["findings"]
    assert findings and all(f["code"].startswith("record.") for f in findings)

    out = CliRunner().invoke(main, ["schema"])
    assert out.exit_code == 0
    schema = json.loads(out.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid(to_jsonable(doc.meta))  # the blank record is not complete
    site.write("b.md", page("# B\n"))
    site.sign_all("b.md")
    signed = to_jsonable(parse((site.docs / "b.md").read_bytes()).meta)
    validator.validate(signed)
    signed["review"]["signatrues"] = []
    assert not validator.is_valid(signed)


FLOW_REVIEW = """\
---
title: 流式记录   # 作者的注释
tags: [政务公开,
  通知]
review: {classification: 非密, disclosure: 主动公开,
  basis: 《中华人民共和国政府信息公开条例》第二十条, reason: 本机关制定的规范性文件,
  sensitive: {economic_data: false, historical_events: false,
    pending_cases: false, cautious_matters: false, other_risks: false},
  third_party: {involved: false}, lead_agency: city-office, co_agencies: []}
---
# 正文
"""

FLOW_UNDER_KEY = """\
---
title: 键下的流式映射
review:
  classification: 非密
  disclosure: 主动公开
  basis: 《中华人民共和国政府信息公开条例》第二十条
  reason: 本机关制定的规范性文件
  sensitive: {economic_data: false, historical_events: false,
    pending_cases: false, cautious_matters: false,
    other_risks: false}       # 第八条
  third_party: {involved: false}
  lead_agency: city-office
  co_agencies: []
  signatures: []
---
# 正文
"""


@pytest.mark.parametrize("original", [FLOW_REVIEW, FLOW_UNDER_KEY], ids=["review-flow", "under-key"])
def test_sign_keeps_a_flow_mapping_over_several_lines(site, original):
    """`sign` adds its entries and leaves the author's layout alone: a flow mapping spread
    over several lines stays on those lines (ruamel.yaml alone would join them)."""
    site.write("a.md", original)
    for step in STEPS:
        result = sign(site, "a.md", step)
        assert result.exit_code == 0, result.output
    after = (site.docs / "a.md").read_text(encoding="utf-8")
    assert len(signatures(site, "a.md")) == 4
    if original is FLOW_REVIEW:
        # The entries go inside the flow mapping, after its last key, on its last line.
        last = "  third_party: {involved: false}, lead_agency: city-office, co_agencies: []"
        assert after.startswith(original.split(last)[0] + last + ", signatures: [{step: originator")
        assert after.endswith("digest: " + signatures(site, "a.md")[3]["digest"] + "}]}\n---\n# 正文\n")
    else:
        kept = [line for line in after.splitlines() if "{step:" not in line]
        assert kept == [line if line != "  signatures: []" else "  signatures:"
                        for line in original.splitlines()]
    assert "  pending_cases: false, cautious_matters: false" in after
    assert site.verdict("a.md").published


def commits(site: Site) -> int:
    return int(site.git("rev-list", "--count", "HEAD"))


def test_sign_many_pages_and_folders_in_one_commit_each(site):
    """A folder and a page in one `sign`: one commit per step, one entry and digest per page."""
    for rel in ("book/ch1.md", "book/ch2.md", "book/part/ch3.md", "intro.md"):
        site.write(rel, page(f"# {rel}\n\n{rel} 的正文。\n", title=rel), commit=False)
    site.commit_all("四个页面")
    pages = ("book/ch1.md", "book/ch2.md", "book/part/ch3.md", "intro.md")
    for step in STEPS:
        before = commits(site)
        result = run(site, step, "sign", str(site.docs / "book"), str(site.docs / "intro.md"),
                     "--step", step, "--opinion", "主动公开")
        assert result.exit_code == 0, result.output
        assert commits(site) == before + 1
        assert "4 page(s) in one commit" in result.output
        changed = site.git("show", "--name-only", "--format=", "HEAD").split()
        assert sorted(changed) == sorted(f"content/{p}" for p in pages)
        assert site.git("log", "-1", "--format=%ae").strip() == PEOPLE[step][1]
    review = site.review()
    for rel in pages:
        sigs = signatures(site, rel)
        assert [s["step"] for s in sigs] == list(STEPS)
        assert {s["digest"] for s in sigs} == {review.pages[rel].digest}
        assert review.pages[rel].published, review.pages[rel].verdict.findings
    assert len({review.pages[rel].digest for rel in pages}) == 4


def test_sign_many_is_all_or_nothing(site):
    site.write("book/ok.md", page("# 好\n"), commit=False)
    site.write("book/bad.md", page("# 坏\n").replace(
        "  basis: 《中华人民共和国政府信息公开条例》第二十条\n", ""), commit=False)
    site.write("book/other.md", page("# 他机关\n", lead="city-finance"), commit=False)
    site.commit_all("三个页面")
    before, files = head(site), {p: p.read_bytes() for p in (site.docs / "book").iterdir()}
    result = run(site, "originator", "sign", str(site.docs / "book"), "--step", "originator",
                 "--opinion", "主动公开")
    assert result.exit_code == 1
    assert "2 of 3 page(s) cannot be signed; none was signed" in result.output
    assert "bad.md: the review record is incomplete" in result.output
    assert "other.md: 王起草 is not staff of the lead agency city-finance" in result.output
    assert head(site) == before
    assert {p: p.read_bytes() for p in (site.docs / "book").iterdir()} == files
    # Fixed, and the other agency's page left out: the pages already signed are skipped.
    (site.docs / "book/bad.md").write_text(page("# 坏\n"), encoding="utf-8")
    site.commit_all("补全")
    assert run(site, "originator", "sign", str(site.docs / "book/ok.md"), "--step", "originator",
               "--opinion", "主动公开").exit_code == 0
    result = run(site, "originator", "sign", str(site.docs / "book/ok.md"),
                 str(site.docs / "book/bad.md"), "--step", "originator", "--opinion", "主动公开")
    assert result.exit_code == 0, result.output
    assert "already signed by you at this step, skipped" in result.output and "ok.md" in result.output
    assert len(signatures(site, "book/ok.md")) == 1 and len(signatures(site, "book/bad.md")) == 1


def test_diff_since_the_last_valid_signature(site):
    site.write("a.md", page("# A\n\n原来的第一段。\n\n不变的第二段。\n"))
    none = run(site, "originator", "diff", str(site.docs / "a.md"))
    assert none.exit_code == 0, none.output
    assert "no valid signature yet" in none.output
    site.sign("a.md", "originator")
    site.sign("a.md", "originator_head")
    signed_at = head(site)
    same = run(site, "secrecy_office", "diff", str(site.docs / "a.md"))
    assert "last valid signature: 李科长（originator_head" in same.output  # not a signer yet
    assert signed_at[:10] in same.output and "unchanged since then (same digest)" in same.output
    # An editor changes the body, a signed field and the attachments …
    site.write("img.png", b"\x89PNG-diff")
    p = site.docs / "a.md"
    text = p.read_text(encoding="utf-8").replace("原来的第一段", "改过的第一段").replace(
        "  reason: 本机关制定的规范性文件，应当主动公开\n",
        "  reason: 修改后的理由\n  attachments:\n    - {path: img.png, sha256: "
        + hashlib.sha256(b"\x89PNG-diff").hexdigest() + "}\n")
    p.write_text(text, encoding="utf-8")
    site.commit_all("编辑修改")
    # … and hand-writes a signature approving the new version: no signer made it, so it
    # is not the last valid one.
    site.add_entry("a.md", {"step": "originator", "name": "王起草", "date": TODAY,
                            "opinion": "主动公开"}, index=0)
    result = run(site, "originator_head", "diff", str(p))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "the version you last validly signed: 李科长（originator_head" in out and signed_at[:10] in out
    assert "- review.reason: \"本机关制定的规范性文件，应当主动公开\"" in out
    assert "+ review.reason: \"修改后的理由\"" in out
    assert "+ img.png  sha256:" + hashlib.sha256(b"\x89PNG-diff").hexdigest() in out
    assert "-原来的第一段。" in out and "+改过的第一段。" in out
    assert "不变的第二段" in out  # context of the body diff
    assert "review.signatures" not in out and "review.title" not in out
    # Once the originator signs the new version anew, that is the last valid signature.
    p.write_text(text, encoding="utf-8")
    site.commit_all("撤销代签")
    assert run(site, "originator", "sign", str(p), "--step", "originator",
               "--opinion", "主动公开").exit_code == 0
    # The re-review starts with the drafter; the head of the agency is still shown what
    # changed since their own signature, not "unchanged" since the drafter's (red team).
    after = run(site, "originator_head", "diff", str(p))
    assert "the version you last validly signed: 李科长（originator_head" in after.output
    assert "unchanged since then" not in after.output and "+改过的第一段。" in after.output
    assert "unchanged since then" in run(site, "originator", "diff", str(p)).output
    # Someone who never signed the page compares with the last version all four steps
    # approved, once there is one.
    for step in ("originator_head", "secrecy_office", "leader"):
        site.sign("a.md", step)
    p.write_text(p.read_text(encoding="utf-8").replace("改过的第一段", "第三次的第一段"), encoding="utf-8")
    site.commit_all("再改")
    other = run(site, "editor", "diff", str(p))
    assert "the version last approved in all four steps" in other.output, other.output
    assert "+第三次的第一段。" in other.output
