"""The pure content scanners (第五条, 第六条, 第七条, 第八条, 第九条) and the leak scan (第二条).

The labelled corpus in ``tests/corpus/`` is the specification of what is and
is not a marking or personal information: one row per case, easy to extend.
``pytest -s`` prints recall and precision.
"""

from __future__ import annotations

import bz2
import datetime as _dt
import gzip
import io
import json
import os
import re
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
import yaml

from secrecy_gate.core.schema import SENSITIVE_ITEMS
from secrecy_gate.scanners import (LeakScanner, Lexicon, LexiconError, apply_redactions,
                                   contradicts, find_disclosure_notes, find_markings, find_pii,
                                   load_lexicon, mask, needles_from_text, normalise)
from secrecy_gate.scanners.leakscan import UNSCANNABLE
from secrecy_gate.scanners.lexicon import DEFAULT_LEXICON
from secrecy_gate.scanners.pii import id_checksum_ok
from secrecy_gate.scanners.text import _COMMON_FORMAT, _FORMAT_CHARS, NormalisedText

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
REPO = HERE.parent
SEED_MD = (CORPUS / "seed_regulation.md").read_text(encoding="utf-8")
ID = "11010519491231002X"


def _cases(name: str) -> list[dict]:
    return yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))


def _text(case: dict) -> str:
    return case["text"] if "text" in case else (CORPUS / case["file"]).read_text(encoding="utf-8")


def _expected(case: dict) -> set[str]:
    kind = case.get("kind")
    if kind is None:
        return set()
    return set(kind) if isinstance(kind, list) else {kind}


def _found(text: str) -> set[str]:
    return {h.kind for h in find_markings(text)} | {h.kind for h in find_pii(text)}


POSITIVES = _cases("positives.yml")
NEGATIVES = _cases("negatives.yml")


# -- the labelled corpus --------------------------------------------------------------

def test_corpus_recall_and_precision():
    kinds = ("secrecy-marking", "internal-marker", "resident-id", "bank-card", "mobile")
    tp = dict.fromkeys(kinds, 0)
    fn = dict.fromkeys(kinds, 0)
    fp = dict.fromkeys(kinds, 0)
    misses, false_alarms = [], []
    for case in POSITIVES + NEGATIVES:
        text, expected = _text(case), _expected(case)
        found = _found(text)
        for k in expected & found:
            tp[k] += 1
        for k in expected - found:
            fn[k] += 1
        for k in found - expected:
            fp[k] += 1
        if expected - found:
            misses.append((text[:40], sorted(expected - found)))
        if found - expected:
            false_alarms.append((text[:40], sorted(found - expected)))
    print(f"\nscanner corpus: {len(POSITIVES)} positive and {len(NEGATIVES)} negative cases")
    for k in kinds:
        recall = tp[k] / (tp[k] + fn[k]) if tp[k] + fn[k] else 1.0
        precision = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else 1.0
        print(f"  {k:16} recall {recall:.3f}  precision {precision:.3f}  "
              f"(tp={tp[k]} fn={fn[k]} fp={fp[k]})")
    TP, FN, FP = sum(tp.values()), sum(fn.values()), sum(fp.values())
    recall, precision = TP / (TP + FN), TP / (TP + FP) if TP + FP else 0.0
    print(f"  {'all':16} recall {recall:.3f}  precision {precision:.3f}  (tp={TP} fn={FN} fp={FP})")
    assert not misses, misses
    assert not false_alarms, false_alarms
    assert recall == 1.0 and precision == 1.0


def test_corpus_covers_every_kind_and_variant():
    kinds = set().union(*(_expected(c) for c in POSITIVES))
    assert kinds == {"secrecy-marking", "internal-marker", "resident-id", "bank-card", "mobile"}
    texts = "\n".join(_text(c) for c in POSITIVES)
    for variant in ("★", "☆", "＊", "*", "※", "\u3000", "长期", "个月", "解密",
                    "工作秘密", "内部资料", "内部文件", "内部事项", "内部使用", "仅供内部",
                    "注意保存", "注意保管", "不得外传", "严禁外传", "+86", "x"):
        assert variant in texts, variant
    assert any(c.get("file") == "seed_regulation.md" for c in NEGATIVES)


@pytest.mark.parametrize("case", POSITIVES, ids=lambda c: _text(c)[:24])
def test_positive_case(case):
    assert _expected(case) <= _found(_text(case))


@pytest.mark.parametrize("case", NEGATIVES, ids=lambda c: c.get("why", "") + ":" + _text(c)[:16])
def test_negative_case(case):
    assert _found(_text(case)) == set()


# -- the seed regulation --------------------------------------------------------------

def _joined_paragraphs(md: str) -> str:
    """The seed with hard-wrapped lines joined back into paragraphs."""
    return re.sub(r"(?<![。；：:！？])\n\n(?!第[一二三四五六七八九十]+条|（)", "", md)


@pytest.mark.parametrize("body", [SEED_MD, _joined_paragraphs(SEED_MD)], ids=["lines", "paragraphs"])
def test_seed_regulation_has_no_marking_and_no_pii(body):
    assert "工作秘密" in body and "国家秘密" in body and "商业秘" in body
    assert find_markings(body) == []
    assert find_pii(body) == []
    red = apply_redactions(body)
    assert red.count == 0 and red.problems == [] and red.text == body


def test_seed_disclosure_line_is_a_proactive_note():
    notes = find_disclosure_notes(SEED_MD)
    assert [v for v, _ in notes] == ["主动公开"]
    hit = notes[0][1]
    assert SEED_MD.splitlines()[hit.line - 1] == "公开属性：主动公开"
    assert SEED_MD[hit.start:hit.end] == "公开属性：主动公开"


# -- hits: offsets, lines, masking ------------------------------------------------------

def test_hit_offsets_and_lines_refer_to_the_original_text():
    body = "标题\n\n正文第一段（全角）。\n\n【内部资料　注意保存】\n\n秘\u3000密\u3000★\u3000１年\n"
    hits = find_markings(body)
    assert [(h.kind, h.line) for h in hits] == [("internal-marker", 5), ("secrecy-marking", 7)]
    assert body[hits[0].start:hits[0].end] == "内部资料　注意保存"
    assert body[hits[1].start:hits[1].end] == "秘\u3000密\u3000★\u3000１年"
    assert hits[1].article == "第六条（一）" and hits[0].article == "第六条（二）"


def test_pii_line_and_offsets_with_full_width_digits():
    body = "第一行（说明）\n联系：１３８１２３４５６７８。\n"
    [hit] = find_pii(body)
    assert hit.line == 2 and hit.kind == "mobile"
    assert body[hit.start:hit.end] == "１３８１２３４５６７８"


def test_pii_hits_are_masked_and_never_print_the_full_value():
    body = f"身份证 {ID}，卡号 6222 0212 3456 7890 123，手机 +86 138-1234-5678"
    hits = find_pii(body)
    assert [h.kind for h in hits] == ["resident-id", "bank-card", "mobile"]
    assert [h.matched for h in hits] == ["110***********002X", "622************0123", "138****5678"]
    for h in hits:
        assert ID not in h.matched + h.detail + h.detail_en
        assert "6222021234567890123" not in h.matched + h.detail
    assert all(h.article == "第六条（二）、第七条" for h in hits)


@pytest.mark.parametrize("value, masked", [
    (ID, "110***********002X"),
    ("13812345678", "138****5678"),
    ("6222021234567890123", "622************0123"),
    ("123456789", "123****89"),
    ("张三丰先生", "张***生"),
    ("张三", "**"),
])
def test_mask(value, masked):
    assert mask(value) == masked
    assert len(mask(value)) == len(value)


def test_normalise_is_nfkc_without_format_characters():
    assert normalise("（秘\u200b\u3000密）＊１") == "(秘 密)*1"
    text = "甲\n乙（丙）\n\n丁"
    assert normalise(text).count("\n") == text.count("\n")
    cf = [chr(cp) for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"]
    assert all(_FORMAT_CHARS.match(c) for c in cf)
    removed = {chr(cp) for cp in range(0x10000) if _FORMAT_CHARS.match(chr(cp))}
    assert set(_COMMON_FORMAT) == removed
    for c in cf:  # every one is removed, in a BMP and in an astral string alike
        assert normalise(f"秘{c}密") == "秘密"
        assert normalise(f"秘{c}密\U0001F600") == "秘密\U0001F600"


# Default_Ignorable_Code_Point as DerivedCoreProperties.txt lists it (Unicode 15.1/16.0).
DEFAULT_IGNORABLE = [(0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
                     (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
                     (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
                     (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
                     (0xE0000, 0xE0FFF)]


def test_every_default_ignorable_code_point_is_removed():
    ignorable = [chr(cp) for lo, hi in DEFAULT_IGNORABLE for cp in range(lo, hi + 1)]
    assert len(ignorable) == 4174
    for c in ignorable:
        assert normalise(f"关{c}于{c}调整") == "关于调整", hex(ord(c))
    # NFKC maps nothing to one of them, so none survives normalisation.
    for cp in range(sys.maxunicode + 1):
        if not _FORMAT_CHARS.match(chr(cp)):
            assert not _FORMAT_CHARS.search(unicodedata.normalize("NFKC", chr(cp))), hex(cp)
    # A combining grapheme joiner between a letter and its accent does not keep them apart.
    assert normalise("e\u034f\u0301t\u00e9") == "\u00e9t\u00e9"


def test_normalising_five_megabytes_stays_a_regex_pass():
    text = ("关于调整凉州区部分区域供水时间的通知，各县区人民政府：\n" * 100_000)[:2_500_000]
    assert len(text.encode()) > 5_000_000
    veiled = text.replace("调", "调\ufe0f").replace("水", "水\U000E0100")
    started = time.process_time()
    assert normalise(veiled) == normalise(text)
    assert time.process_time() - started < 2.0


def test_normalised_text_maps_back_across_removed_characters():
    nt = NormalisedText("a\u200b\u200bＢ秘密c")
    start = nt.text.index("秘密")
    assert nt.to_original(start, start + 2) == (4, 6)
    assert nt.original[4:6] == "秘密"
    assert nt.line_of(start) == 1


# -- personal information details --------------------------------------------------------

def test_resident_id_checksum_test_vector():
    assert id_checksum_ok(ID) and id_checksum_ok(ID.lower())
    assert not id_checksum_ok("110105194912310021")


def test_birth_date_is_checked_against_today():
    born_2020 = "620600202001011232"
    assert id_checksum_ok(born_2020)
    assert find_pii(born_2020, today=_dt.date(2021, 1, 1))
    assert find_pii(born_2020, today=_dt.date(2019, 12, 31)) == []


def test_bank_card_needs_a_context_word_nearby():
    number = "6222021234567890123"
    assert find_pii(f"卡号：{number}")
    assert find_pii(f"编号：{number}") == []
    assert find_pii(f"卡号{'甲' * 25}{number}") == []
    hit = find_pii(f"开户账号 {number}")[0]
    assert "Luhn" in hit.detail_en and "fails" in hit.detail_en


def test_allowed_values_are_not_reported_in_any_spelling():
    body = f"热线手机 +86 138-1234-5678；身份证 {ID.lower()}；卡号 6222 0212 3456 7890 123"
    allowed = ["13812345678", ID, "6222-0212-3456-7890-123"]
    assert find_pii(body, allowed) == []
    assert [h.kind for h in find_pii(body, ["138 1234 5678"])] == ["resident-id", "bank-card"]
    assert len(find_pii(body, ["13812345679"])) == 3


# -- disclosure notes (第五条) ----------------------------------------------------------

@pytest.mark.parametrize("body, value", [
    ("（此件公开发布）", "主动公开"),
    ("(此件主动公开)", "主动公开"),
    ("（此件依申请公开）", "依申请公开"),
    ("（此件不予公开）", "不予公开"),
    ("（此件删减后公开）", "删减后公开"),
    ("【此件不公开】", "不予公开"),
    ("公开属性：主动公开", "主动公开"),
    ("信息公开选项：依申请公开", "依申请公开"),
])
def test_disclosure_notes(body, value):
    notes = find_disclosure_notes(f"正文。\n\n{body}\n")
    assert [v for v, _ in notes] == [value]
    assert notes[0][1].line == 3 and notes[0][1].article == "第五条"


def test_no_disclosure_note_in_running_text():
    assert find_disclosure_notes("本文件应当主动公开，公开发布后报备。") == []


@pytest.mark.parametrize("note, disclosure, expected", [
    ("主动公开", "主动公开", False),
    ("主动公开", "删减后公开", False),
    ("主动公开", "依申请公开", False),
    ("主动公开", "不予公开", False),
    ("删减后公开", "主动公开", True),
    ("删减后公开", "删减后公开", False),
    ("依申请公开", "主动公开", True),
    ("依申请公开", "删减后公开", True),
    ("依申请公开", "依申请公开", False),
    ("不予公开", "主动公开", True),
    ("不予公开", "依申请公开", True),
    ("不予公开", "不予公开", False),
    ("不予公开", "proactive", True),
    ("主动公开", "redacted", False),
    ("主动公开", "unknown", True),
])
def test_contradicts(note, disclosure, expected):
    assert contradicts(note, disclosure) is expected


# -- redaction (第九条) ------------------------------------------------------------------

def test_redaction_inline():
    r = apply_redactions("申请人<!-- 密点 -->张三<!-- /密点 -->已领取补助。")
    assert r.text == "申请人■■■已领取补助。"
    assert (r.count, r.secrets, r.problems) == (1, ["张三"], [])


def test_redaction_multi_line_and_count():
    body = ("第一段 <!--密点-->甲乙丙\n丁戊己<!--  /  密点  --> 结束。\n\n"
            "第二段 <!-- REDACT -->secret two<!-- /redact -->.\n"
            "<!--\n密点\n-->第三处<!--\n/密点\n-->\n")
    r = apply_redactions(body)
    assert r.count == 3 and r.problems == []
    assert r.secrets == ["甲乙丙\n丁戊己", "secret two", "第三处"]
    assert r.text == "第一段 ■■■ 结束。\n\n第二段 ■■■.\n■■■\n"
    for secret in ("甲乙丙", "丁戊己", "secret two", "第三处", "密点", "redact"):
        assert secret not in r.text


def test_redaction_placeholder_is_configurable():
    r = apply_redactions("a<!-- 密点 -->b<!-- /密点 -->c", placeholder="[已删除]")
    assert r.text == "a[已删除]c"


def test_redaction_inside_a_code_fence_still_redacts():
    body = "```markdown\n示例：<!-- 密点 -->真实的密点内容<!-- /密点 -->\n```\n"
    r = apply_redactions(body)
    assert r.count == 1 and "真实的密点内容" not in r.text and r.text == "```markdown\n示例：■■■\n```\n"


def test_redaction_unclosed_marker_redacts_to_the_end_and_is_a_problem():
    r = apply_redactions("公开部分\n<!-- 密点 -->秘密部分\n更多秘密\n")
    assert r.text == "公开部分\n■■■"
    assert [p[0] for p in r.problems] == [2] and "never closed" in r.problems[0][2]
    assert "秘密部分" in r.secrets[0]


def test_redaction_stray_close_is_a_problem():
    r = apply_redactions("甲\n乙<!-- /密点 -->丙")
    assert r.count == 0 and [p[0] for p in r.problems] == [2]
    assert "without an opening" in r.problems[0][2] and "<!--" not in r.text


def test_redaction_nested_is_a_problem_and_redacts_the_outer_span():
    r = apply_redactions("x<!-- 密点 -->a<!-- 密点 -->b<!-- /密点 -->c<!-- /密点 -->y")
    assert r.text == "x■■■y" and r.count == 1 and r.secrets == ["abc"]
    assert len(r.problems) == 1 and "nested" in r.problems[0][2]


@pytest.mark.parametrize("body", [
    "a<!-- 密点 --机密内容甲<!-- /密点 -->",
    "a&lt;!-- 密点 --&gt;机密内容甲&lt;!-- /密点 --&gt;",
    "a＜！－－ 密点 －－＞机密内容甲＜！－－ /密点 －－＞",
    "a<!- redact ->机密内容甲<!- /redact ->",
    "a<!-- 密点：姓名 -->机密内容甲<!-- /密点 -->",
    "a<密点>机密内容甲</密点>",
])
def test_redaction_malformed_markers_are_problems(body):
    r = apply_redactions(body)
    assert r.problems, body
    assert all("机密内容甲" not in zh + en for _, zh, en in r.problems)


def test_word_mi_dian_in_running_text_is_not_a_marker():
    r = apply_redactions("应当按照有关规定删除密点，进行非密化处理。redaction is lawful.")
    assert (r.count, r.problems) == (0, [])


def test_secrets_never_survive_in_text_without_problems():
    secrets = [f"密点内容{i}号" for i in range(20)]
    body = "\n".join(f"第{i}行<!-- 密点 -->{s}<!-- /密点 -->后文" for i, s in enumerate(secrets))
    r = apply_redactions(body)
    assert r.count == 20 and r.problems == [] and r.secrets == secrets
    assert not any(s in r.text for s in secrets)


# -- lexicon (第八条) --------------------------------------------------------------------

def test_repository_lexicon_is_the_default_and_covers_every_item():
    lex = load_lexicon(REPO / "reviews" / "lexicon.yml")
    assert lex.as_dict() == DEFAULT_LEXICON
    assert set(lex.items) == set(SENSITIVE_ITEMS)
    assert all(item.words for item in lex.items.values())


def test_hints_only_for_items_answered_false_or_missing():
    body = "关于某信访案件的处理情况：该案尚未审结。经初步核算，全年增长5%。"
    lex = Lexicon.default()
    all_false = {k: False for k in SENSITIVE_ITEMS}
    hits = lex.hints(body, all_false)
    assert {(h.article, h.matched) for h in hits} == {
        ("第八条（三）", "信访"), ("第八条（三）", "尚未审结"), ("第八条（一）", "初步核算")}
    assert all(h.kind == "sensitive-hint" for h in hits)
    assert {h.matched for h in lex.hints(body, {**all_false, "pending_cases": True})} == {"初步核算"}
    missing = lex.hints(body, {})
    assert any("未作答" in h.detail for h in missing) and len(missing) == 3
    assert lex.hints("本页介绍办事指南。", all_false) == []


def test_hint_counts_occurrences_and_honours_exceptions():
    lex = Lexicon.default()
    body = "市信访局地址：东大街1号。信访局受理时间。\n\n本月信访事项3件，信访总量下降。"
    [hit] = lex.hints(body, {"pending_cases": False})
    assert hit.line == 3 and hit.matched == "信访" and "（2处）" in hit.detail


def test_lexicon_loading_is_strict(tmp_path):
    p = tmp_path / "lexicon.yml"
    p.write_text("pending_cases: {words: [信访]}\nsignatrues: {words: [x]}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="unknown"):
        load_lexicon(p)
    p.write_text("pending_cases: &w {words: [信访]}\nother_risks: *w\n", encoding="utf-8")
    with pytest.raises(LexiconError):
        load_lexicon(p)
    p.write_text("pending_cases: {words: [信访], extra: 1}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="unknown keys"):
        load_lexicon(p)
    p.write_text("pending_cases: {words: []}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="no words"):
        load_lexicon(p)
    p.write_text("pending_cases: {words: [信访]}\n", encoding="utf-8")
    assert [h.matched for h in load_lexicon(p).hints("信访", {})] == ["信访"]


# -- needles ------------------------------------------------------------------------------

WITHHELD = """\
# 关于某某项目的内部请示

经研究，**该项目总投资约为三亿五千万元**，拟于明年三月开工建设。

- 请[市领导](../x.md)审阅后批示同意上报。
- 2020年11月9日

| 项目 | 金额 |
| --- | --- |
| 征地补偿款（暂定） | 8000万元 |
"""


def test_needles_are_distinctive_fragments_without_markdown():
    needles = needles_from_text(WITHHELD)
    assert "关于某某项目的内部请示" in needles
    assert "该项目总投资约为三亿五千万元" in needles
    assert "请市领导审阅后批示同意上报" in needles
    assert "征地补偿款(暂定)" in needles
    assert not any(ch in n for n in needles for ch in "*[]|#") and "../x.md" not in "".join(needles)
    assert "2020年11月9日" not in needles          # a date is not distinctive
    assert "经研究" not in needles                  # too short


def test_needles_skip_fragments_found_in_published_pages():
    needles = needles_from_text(WITHHELD, exclude=["拟于明年三月开工建设。", "# 关于某某项目的**内部**请示"])
    assert "拟于明年三月开工建设" not in needles
    assert "关于某某项目的内部请示" not in needles
    assert "该项目总投资约为三亿五千万元" in needles


def test_short_secret_points_use_the_whole_text():
    assert needles_from_text("张三", whole=True) == ["张三"]
    assert needles_from_text("A-17", whole=True) == ["A-17"]
    assert needles_from_text("10", whole=True) == []
    assert needles_from_text("张三", whole=True, exclude="经办人张三。") == []


def test_long_fragments_are_cut_so_an_excerpt_is_still_caught():
    sentence = "甲乙丙丁戊己庚辛壬癸" * 10
    needles = needles_from_text(sentence)
    assert len(needles) > 1 and all(len(n) <= 64 for n in needles)
    assert "".join(needles) == sentence


# -- the leak scan (第二条) ----------------------------------------------------------------

SECRET_SENTENCE = "该项目总投资约为三亿五千万元"
REDACTED = "王小明"


def _scanner(**kw) -> LeakScanner:
    needles = {n: "withheld page content/plan.md" for n in needles_from_text(WITHHELD)}
    needles.update({n: "redacted point in content/notice.md"
                    for n in needles_from_text(REDACTED, whole=True)})
    return LeakScanner(needles, **kw)


def _clean_site(root: Path) -> Path:
    (root / "search").mkdir(parents=True)
    (root / "index.html").write_text(
        "<!doctype html><html><head><title>首页</title></head><body><h1>欢迎</h1>"
        "<p>本站发布政府信息。联系电话：0935-2212345。</p><p>经办人：■■■。</p></body></html>",
        encoding="utf-8")
    (root / "search" / "search_index.json").write_text(
        json.dumps({"docs": [{"location": "", "title": "首页", "text": "<p>本站发布政府信息。</p>"}]}),
        encoding="utf-8")
    (root / "sitemap.xml.gz").write_bytes(gzip.compress(
        b"<?xml version='1.0'?><urlset><url><loc>https://example.gov.cn/</loc></url></urlset>"))
    (root / "assets").mkdir()
    (root / "assets" / "app.js").write_text("var n=1234567890123;function f(){return '\\u9996';}",
                                            encoding="utf-8")
    (root / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 40)
    return root


def test_clean_site_gives_no_hits(tmp_path):
    site = _clean_site(tmp_path / "site")
    assert _scanner().scan_dir(site) == []


def test_leak_scan_finds_every_planted_needle_marking_and_id(tmp_path):
    site = _clean_site(tmp_path / "site")
    escaped = "".join(f"&#x{ord(c):X};" for c in SECRET_SENTENCE[:6]) + SECRET_SENTENCE[6:]
    (site / "news.html").write_text(
        f"<html><body><p>{escaped}</p><p>经办人：<em>王</em>小&#26126;</p></body></html>",
        encoding="utf-8")
    index = json.dumps({"docs": [{"location": "a/", "title": "甲",
                                  "text": "<p>请市领导审阅后批示同意上报。</p><p>机密★6个月</p>"}]})
    index = index.replace("/", "\\/")
    assert "\\u" in index and "审阅" not in index
    (site / "search" / "search_index.json").write_text(index, encoding="utf-8")
    (site / "sitemap.xml.gz").write_bytes(gzip.compress(
        "<urlset><url><loc>https://x/关于某某项目的内部请示/</loc></url></urlset>".encode()))
    (site / "notes.txt").write_text(f"内部资料 注意保存\n申请人身份证：{ID}\n", encoding="utf-8")
    hits = _scanner().scan_dir(site)
    got = {(h.path, h.kind, h.label) for h in hits}
    assert ("news.html", "leaked-text", "withheld page content/plan.md") in got
    assert ("news.html", "leaked-text", "redacted point in content/notice.md") in got
    assert ("search/search_index.json", "leaked-text", "withheld page content/plan.md") in got
    assert ("sitemap.xml.gz", "leaked-text", "withheld page content/plan.md") in got
    kinds = {(h.path, h.kind) for h in hits}
    assert ("search/search_index.json", "secrecy-marking") in kinds
    assert ("notes.txt", "internal-marker") in kinds
    assert ("notes.txt", "resident-id") in kinds
    txt_id = next(h for h in hits if h.kind == "resident-id")
    assert txt_id.line == 2 and txt_id.matched == "110***********002X"
    assert all(SECRET_SENTENCE not in h.render() and ID not in h.render() for h in hits)


def test_leak_scan_reads_archives_and_other_compressions(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml",
                    "<w:document><w:p><w:r><w:t>该项目总投资</w:t></w:r><w:r><w:t>约为三亿五千万元"
                    "</w:t></w:r></w:p><w:p><w:r><w:t>绝密★长期</w:t></w:r></w:p></w:document>")
    (site / "files").mkdir()
    (site / "files" / "plan.docx").write_bytes(buf.getvalue())
    (site / "old.md.bz2").write_bytes(bz2.compress(f"手机：13812345678\n{REDACTED}\n".encode()))
    (site / "page.html.br").write_bytes(b"\x1b\x00\x00\x00 not readable")
    hits = _scanner().scan_dir(site)
    got = {(h.path, h.kind) for h in hits}
    assert ("files/plan.docx!word/document.xml", "leaked-text") in got
    assert ("files/plan.docx!word/document.xml", "secrecy-marking") in got
    assert ("old.md.bz2", "mobile") in got and ("old.md.bz2", "leaked-text") in got
    assert ("page.html.br", UNSCANNABLE) in got


def test_leak_scan_uses_the_site_wide_allowed_list(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "contact.html").write_text("<p>值班手机：138 1234 5678</p><p>主任：139-0000-1111</p>",
                                       encoding="utf-8")
    hits = LeakScanner({}, allowed_pii=["13812345678"]).scan_dir(site)
    assert [(h.kind, h.matched) for h in hits] == [("mobile", "139****1111")]


def test_short_needles_are_not_searched_in_scripts(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "app.js").write_text("var s='王小明';", encoding="utf-8")
    (site / "a.html").write_text("<p>王小明</p>", encoding="utf-8")
    hits = _scanner().scan_dir(site)
    assert [(h.path, h.label) for h in hits] == [("a.html", "redacted point in content/notice.md")]


def test_leak_scan_reports_what_it_cannot_read(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "outside").mkdir()
    (site / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    os.mkfifo(site / "pipe")
    kinds = {(h.path, h.kind) for h in LeakScanner({}).scan_dir(site)}
    assert kinds == {("broken.gz", UNSCANNABLE), ("linked", UNSCANNABLE), ("pipe", UNSCANNABLE)}


def test_parallel_scan_finds_the_same(tmp_path):
    site = _clean_site(tmp_path / "site")
    for i in range(6):
        (site / f"n{i}.html").write_text(f"<p>第{i}页：{SECRET_SENTENCE}</p><p>秘密★{i + 1}年</p>",
                                         encoding="utf-8")
    scanner = _scanner()
    serial = scanner.scan_dir(site)
    assert len(serial) == 12
    assert scanner.scan_dir(site, workers=3) == serial
