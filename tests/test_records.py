"""The review record (第二条 to 第十二条): one table of pages → verdict and findings.

Every row is a page in one shared git repository.  Rows marked ``sign`` are
signed through the four 第十条 steps with the project's own ``sign`` as each
roster identity, so their verdict isolates the rule under test: the set of
withholding finding codes must be exactly the expected one.
"""

from __future__ import annotations

import dataclasses
import datetime
import time

import pytest
from conftest import STEPS, Site, isolated_git, page

from secrecy_gate.core import frontmatter
from secrecy_gate.core.findings import Outcome
from secrecy_gate.review.gate import Gate
from secrecy_gate.core.record import parse_record

BODY = "# 测试\n\n本页正文。\n"


def rec(replace: dict | None = None, body: str = BODY, **kw) -> str:
    text = page(body, **kw)
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text


ESC = """\
escalations:
  - to: 示例市国家保密局
    date: 2026-09-28
    question: 是否涉及工作秘密
"""
ESC_ANSWER = "    answer: {{date: {date}, by: 示例市国家保密局, conclusion: 不涉密，可以公开}}\n"
THIRD = "  third_party: {involved: false}\n"

P, W, D = "publish", "withhold", "decision"


@dataclasses.dataclass
class Row:
    id: str
    text: str | bytes
    expect: str  # P, W or D (withheld by the record's own decision only)
    codes: frozenset = frozenset()  # exactly the withholding codes expected
    sign: bool = False
    include_on_request: bool = False


def row(id, text, expect, codes=(), sign=False, **kw):
    return Row(id, text, expect, frozenset(codes), sign, **kw)


ROWS = [
    # -- 第二条: no trustworthy front matter ---------------------------------------
    row("no-front-matter", "# 标题\n\n正文。\n", W, {"front-matter.missing"}),
    row("multimarkdown-header", "Title: 标题\nreview: 主动公开\n\n正文。\n", W,
        {"front-matter.missing"}),
    row("unclosed-front-matter", "---\ntitle: x\nreview: {}\n\n正文。\n", W,
        {"front-matter.unclosed"}),
    row("unparseable-yaml", "---\ntitle: [未闭合\nreview: {classification: 非密\n---\n正文\n", W,
        {"front-matter.yaml"}),
    row("yaml-anchor-alias", rec({"title: 测试页面": "title: &t 测试页面\nsubtitle: *t"}), W,
        {"front-matter.yaml"}),
    row("yaml-merge-key", rec({"title: 测试页面": "base: &b {x: 1}\nother:\n  <<: *b"}), W,
        {"front-matter.yaml"}),
    row("duplicate-key", rec({"  disclosure: 主动公开\n": "  disclosure: 不予公开\n  disclosure: 主动公开\n"}),
        W, {"front-matter.yaml"}),
    row("custom-tag", rec({"title: 测试页面": "title: !!python/object:os.system 测试页面"}), W,
        {"front-matter.yaml"}),
    row("not-a-mapping", "---\n- review\n- 主动公开\n---\n正文\n", W, {"front-matter.not-mapping"}),
    row("non-utf8", rec().encode("utf-8").replace("本页正文".encode(), "本页正文".encode("gbk")), W,
        {"front-matter.encoding"}),
    row("gbk-front-matter", rec().encode("gbk"), W, {"front-matter.encoding"}),
    row("no-review", "---\ntitle: 没有审查记录\n---\n\n正文。\n", W, {"record.absent"}),
    # -- 第五条: the record itself -----------------------------------------------------
    row("unknown-key-signatrues", rec(review_extra="signatrues: []\n"), W, {"record.unknown-field"}),
    row("unknown-key-in-document", rec(extra="document: {index_no: 1-2, isuer: 某局}\n"), W,
        {"record.unknown-field"}),
    row("missing-basis", rec({"  basis: 《中华人民共和国政府信息公开条例》第二十条\n": ""}), W,
        {"record.missing-field"}),
    row("empty-reason", rec({"  reason: 本机关制定的规范性文件，应当主动公开\n": "  reason: ''\n"}), W,
        {"record.empty-field"}),
    row("bad-enum-classification", rec(classification="内部"), W, {"record.bad-value"}),
    row("bad-enum-disclosure", rec(disclosure="公开"), W, {"record.bad-value"}),
    row("bad-date-quoted", rec(classification="秘密", review_extra=(
        "declassification: {date: '2026-02-30', authority: 示例市国家保密局, document: 解密通知}\n")),
        W, {"record.bad-date"}),
    row("bad-date-format", rec(classification="秘密", review_extra=(
        "declassification: {date: 2026/02/03, authority: 示例市国家保密局, document: 解密通知}\n")),
        W, {"record.bad-date"}),
    row("bad-date-unquoted", rec(classification="秘密", review_extra=(
        "declassification: {date: 2026-02-30, authority: 示例市国家保密局, document: 解密通知}\n")),
        W, {"front-matter.yaml"}),
    row("english-aliases", rec(classification="none", disclosure="proactive", replace={
        THIRD: "  third_party: {involved: true, kind: [privacy], "
               "consent: {party: 张某, date: 2026-05-01, document: 书面同意书}}\n"}), P, sign=True),
    # -- 第五条: the decision ------------------------------------------------------------
    row("withheld-by-decision", rec(disclosure="不予公开"), D, {"decision.withheld"}, sign=True),
    row("on-request", rec(disclosure="依申请公开"), D, {"decision.on-request"}, sign=True),
    row("on-request-internal-build", rec(disclosure="依申请公开"), P, sign=True,
        include_on_request=True),
    # -- 第六条, 第十四条: classified information ----------------------------------------
    row("classified-no-declassification", rec(classification="秘密"), W,
        {"classified.not-declassified"}, sign=True),
    row("work-secret-no-declassification", rec(classification="work_secret"), W,
        {"classified.not-declassified"}, sign=True),
    row("classified-declassified", rec(classification="机密", review_extra=(
        "secrecy_period: 10年\n"
        "declassification: {date: 2025-06-30, authority: 示例市国家保密局, document: 示保解〔2025〕3号}\n")),
        P, sign=True),
    row("classified-declassified-in-future", rec(classification="秘密", review_extra=(
        "declassification: {date: 2099-01-01, authority: 示例市国家保密局, document: 示保解〔2099〕1号}\n")),
        W, {"classified.declassification-future"}, sign=True),
    # -- 第七条: third parties ---------------------------------------------------------
    row("third-party-no-consent", rec({THIRD: "  third_party: {involved: true, kind: [商业秘密]}\n"}),
        W, {"third-party.no-consent"}, sign=True),
    row("third-party-consent", rec({THIRD: "  third_party: {involved: true, kind: [商业秘密], "
                                           "consent: {party: 某公司, date: 2026-05-01, document: 同意函}}\n"}),
        P, sign=True),
    row("third-party-public-interest", rec(
        {THIRD: "  third_party: {involved: true, kind: [个人隐私]}\n"},
        review_extra="public_interest:\n"
                     "  info_office: {name: 示例市政务公开办, date: 2026-05-01}\n"
                     "  secrecy_office: {name: 示例市国家保密局, date: 2026-05-02}\n"
                     "  reason: 不公开可能对公共利益造成重大影响\n"), P, sign=True),
    row("third-party-public-interest-one-office", rec(
        {THIRD: "  third_party: {involved: true, kind: [个人隐私]}\n"},
        review_extra="public_interest:\n"
                     "  info_office: {name: 示例市政务公开办, date: 2026-05-01}\n"
                     "  reason: 不公开可能对公共利益造成重大影响\n"), W, {"record.missing-field"}),
    # -- 第八条: matters needing care ------------------------------------------------------
    # (sign refuses an incomplete record, so these are also unsigned)
    row("sensitive-item-missing", rec({"    pending_cases: false\n": ""}), W,
        {"sensitive.unanswered", "signature.missing"}),
    row("sensitive-true-no-note", rec({"    economic_data: false\n": "    economic_data: true\n"}), W,
        {"sensitive.no-note", "signature.missing"}),
    row("sensitive-true-with-note", rec({"    economic_data: false\n": "    economic_data: true\n"},
                                        review_extra="sensitive_note: 数据已由统计局于2026-05-01发布\n"),
        P, sign=True),
    # -- 第十二条: escalations ------------------------------------------------------------
    row("escalation-unanswered", rec(review_extra=ESC), W, {"escalation.unanswered"}, sign=True),
    row("escalation-answered-on-time", rec(review_extra=ESC + ESC_ANSWER.format(date="2026-10-10")),
        P, sign=True),
    row("escalation-answered-late", rec(review_extra=ESC + ESC_ANSWER.format(date="2026-10-12")),
        W, {"escalation.late-no-reason"}, sign=True),
    row("escalation-answered-late-with-reason", rec(
        review_extra=ESC + ESC_ANSWER.format(date="2026-10-12") + "    delay_reason: 需征求省保密局意见\n"),
        P, sign=True),
    # -- 第十条: signatures ------------------------------------------------------------------
    row("unsigned", rec(), W, {"signature.missing"}),
    row("signed", rec(), P, sign=True),
    row("leader-opinion-differs", rec(), W, {"signature.leader-opinion"}),  # built below
]

BY_ID = {r.id: r for r in ROWS}
assert len(BY_ID) == len(ROWS)


def name(r: Row) -> str:
    return f"{r.id}.md"


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    root = tmp_path_factory.mktemp("records")
    with isolated_git(root / "home"):
        site = Site(root / "repo")
        for r in ROWS:
            site.write(name(r), r.text, commit=False)
        site.commit_all("全部页面")
        for r in ROWS:
            if r.sign:
                site.sign_all(name(r))
        # 第十条: the leader approves something other than review.disclosure.  The sign
        # command refuses that, so the leader writes and commits the entry by hand.
        rel = name(BY_ID["leader-opinion-differs"])
        for step in STEPS[:3]:
            site.sign(rel, step)
        site.add_entry(rel, {"step": "leader", "name": "陈领导", "date": datetime.date.today(),
                             "opinion": "依申请公开"}, who="leader")
        review = site.review()
        internal = Gate(dataclasses.replace(site.gate_config(), include_on_request=True)).review()
    return site, review, internal


@pytest.mark.parametrize("r", ROWS, ids=[r.id for r in ROWS])
def test_record_table(table, r):
    _, review, internal = table
    verdict = (internal if r.include_on_request else review).pages[name(r)].verdict
    rendered = [f.render() for f in verdict.findings]
    withholding = {f.code for f in verdict.findings if f.withholds}
    if r.expect == P:
        assert verdict.outcome is Outcome.PUBLISH, rendered
        assert not withholding
    else:
        assert verdict.outcome is Outcome.WITHHOLD, rendered
        assert withholding == r.codes, rendered
        assert verdict.by_decision_only is (r.expect == D), rendered
    for f in verdict.findings:
        assert f.article.startswith("第") and f.article.endswith("条"), f
        assert f.page == name(r) and f.message_zh and f.message_en


def test_every_site_page_was_judged(table):
    site, review, _ = table
    assert set(review.pages) == {name(r) for r in ROWS}
    # Only the notice that the trust root is taken on first use (the table is not pinned).
    assert [f.code for f in review.site_findings] == ["trust-root.unpinned"], [
        f.render() for f in review.site_findings]


# -- Hostile inputs: bounded cost, no crash, never published ----------------------------------

BOMB = "\n".join(
    ["---", "title: 炸弹", 'a: &a ["哈哈哈哈哈哈哈哈"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(9)]
    + ["review: *j", "---", "", "正文"]) + "\n"


def test_alias_bomb_is_refused_quickly(site):
    start = time.monotonic()
    with pytest.raises(frontmatter.FrontMatterError) as exc:
        frontmatter.parse(BOMB)
    assert exc.value.code == "front-matter.yaml"
    site.write("bomb.md", BOMB)
    verdict = site.verdict("bomb.md")
    assert time.monotonic() - start < 3
    assert not verdict.published
    assert {f.code for f in verdict.findings} == {"front-matter.yaml"}


def test_deeply_nested_yaml_is_refused_without_crash():
    text = "---\nreview: " + "[" * 50_000 + "\n---\n正文\n"
    start = time.monotonic()
    with pytest.raises(frontmatter.FrontMatterError):
        frontmatter.parse(text)
    assert time.monotonic() - start < 3


def test_huge_front_matter_is_refused(site):
    text = rec(review_extra="comment_padding: |\n" + "  填充\n" * 200_000)
    assert len(text.encode()) > 1_000_000
    start = time.monotonic()
    site.write("huge-fm.md", text)
    verdict = site.verdict("huge-fm.md")
    assert time.monotonic() - start < 5
    assert {f.code for f in verdict.findings} == {"front-matter.too-large"}


def test_five_megabyte_page_is_judged_quickly(site):
    body = "# 大文件\n\n" + "很长的正文段落，用于测试性能。\n" * 120_000
    assert len(body.encode()) > 5_000_000
    site.write("big.md", rec(body=body))
    site.sign_all("big.md")
    start = time.monotonic()
    verdict = site.verdict("big.md")
    assert time.monotonic() - start < 5
    assert verdict.published, [f.render() for f in verdict.findings]
    # One byte changed in five megabytes voids every signature.
    p = site.docs / "big.md"
    p.write_text(p.read_text(encoding="utf-8").replace("性能", "性质", 1), encoding="utf-8")
    site.commit_all("改一个字")
    assert "digest.stale" in {f.code for f in site.verdict("big.md").findings}


# -- parse_record on its own: aliases are normalised, not merely tolerated ------------------------

def test_english_aliases_are_normalised_to_chinese():
    meta = frontmatter.parse(rec(classification="none", disclosure="on_request", replace={
        THIRD: "  third_party: {involved: true, kind: [trade_secret, privacy]}\n"})).meta
    parsed, findings = parse_record(meta, "x.md")
    assert not findings
    assert (parsed.classification, parsed.disclosure) == ("非密", "依申请公开")
    assert parsed.get("third_party")["kind"] == ["商业秘密", "个人隐私"]


@pytest.mark.parametrize("typo", ["signatrues", "disclosre", "sensitve_note"])
def test_unknown_review_keys_are_never_ignored(typo):
    meta = frontmatter.parse(rec(review_extra=f"{typo}: []\n")).meta
    parsed, findings = parse_record(meta, "x.md")
    assert parsed is None
    assert [f.code for f in findings] == ["record.unknown-field"]
    assert typo in findings[0].message_en


def test_record_helper_is_complete():
    # The table's baseline: the helper's record is valid, so each row changes one thing.
    parsed, findings = parse_record(frontmatter.parse(rec()).meta, "x.md")
    assert parsed is not None and not findings


@pytest.mark.parametrize("text", [
    "a: 1\na: 2", "<<: {a: 1}", "? [1]\n: 2", "x: !!set {a}", "1: a", "null: 1",
    "x: 2026-01-01\ny: yes\nz: ~\nw: 1.5\nv: '2026-01-01'\nu: 0o17", "x: !custom 1",
    "x: [a, {b: c, d: [1, 2]}]", "", "- a", "review:\n  signatures:\n    - {step: leader, date: 2026-02-30}",
])
def test_fast_yaml_reader_agrees_with_pyyaml(text):
    """The fast node walker builds exactly what PyYAML's strict loader builds,
    and refuses exactly what it refuses, with the same message."""
    import yaml

    def outcome(fn):
        try:
            value = fn(text)
        except Exception as exc:  # noqa: BLE001 - the comparison is the point
            return "error", getattr(exc, "problem", None) or str(exc)
        return "value", value, repr(value)

    slow = outcome(lambda t: yaml.load(t, Loader=frontmatter._StrictLoader))  # noqa: S506
    fast = outcome(frontmatter.load_yaml)
    assert fast[0] == slow[0]
    if slow[0] == "value":
        assert fast[1:] == slow[1:]
    else:
        assert slow[1] in fast[1]


def test_missing_signature_fix_names_the_page_and_the_command(site):
    """The fix for a missing step is a command the signer can paste as is."""
    site.write("notices/a.md", page("# A\n"))
    site.sign("notices/a.md", "originator")
    (finding,) = [f for f in Gate(site.gate_config()).review().pages["notices/a.md"].verdict.findings
                  if f.code == "signature.missing"]
    assert "secrecy-gate sign content/notices/a.md --step originator_head --opinion 主动公开" in finding.fix_zh


@pytest.mark.parametrize("extra", [
    "meta:\n  1: 未经签署的值\n  '1': 已签署的值\n",   # two keys, one digest
    "meta:\n  x: !!binary aGVsbG8=\n",               # bytes digest as the hex text '68656c6c6f'
    "meta: !!omap [a: b]\n",                          # digests as the list [[a, b]]
])
def test_front_matter_that_digests_like_another_is_refused(make_site, extra):
    """Red team (issue 13, round 2): the digest writes values as JSON, so a nested non-string
    key, !!binary or !!omap made two front matters with one digest — a value covered by no
    signature could ride along.  Such front matter does not parse: the page is withheld."""
    site = make_site()
    site.write("p.md", page("# 页面\n\n正文。\n", extra=extra))
    verdict = site.review().pages["p.md"].verdict
    assert not verdict.published
    assert any(f.code.startswith("front-matter.") for f in verdict.findings), verdict.findings
