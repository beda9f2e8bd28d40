"""Holes a red team found in the output scan, each closed (第二条, 第九条).

* Needles come from every file under docs_dir that is not published — a
  dot-file, a file ``exclude_docs`` matches, a README.md beside an index.md,
  a ``draft_docs`` page — not only from the pages the review judged: a hook
  copying such a file into the output is caught.
* A withheld page that is not UTF-8 (UTF-16 from ``working-tree-encoding``,
  a NUL byte added) still gives needles, and ``verify-site`` says honestly
  how many withheld sources gave needles and names those that gave none.
* Invisible characters between the characters (every Default_Ignorable_Code_Point),
  text written backwards (``<bdo dir="rtl">``, U+202E, a script reversing it),
  separators a reader skips (``·``, ``~``, a hidden span) hide nothing.
* None of it costs a false alarm: a published page that differs from a
  withheld one only in numbers and punctuation, Chinese names joined by ``·``
  and a clean Material site pass.

Routes that are an output file are planted into a real build's output and
checked with ``secrecy-gate verify-site``; routes that are a build are real
MkDocs builds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings, strategies as st
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, PluginError

from conftest import Site, page
from secrecy_gate.scanners import LeakScanner, needles_from_text
from secrecy_gate.scanners.encodings import source_text
from secrecy_gate.scanners.leakscan import (LEAKED_TEXT, UNSCANNABLE, _drop_hidden,
                                            projected_needles, reversed_needles)
from secrecy_gate.scanners.text import project_cjk

ZH = "东河湾南岸暗渠的应急调度预案代号为青松七号"
EN = "Operation Blue Pine covers the northern reservoir intake"
WITHHELD = f"# 内部安排\n\n{ZH}。\n\n{EN}.\n"


def verify(site: Site, out: str = "site") -> tuple[int, list[dict], dict]:
    """``secrecy-gate verify-site OUT --format json``: (exit code, hits, what was checked)."""
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", out,
                           "--format", "json"], cwd=site.root, capture_output=True, text=True)
    assert proc.stdout.strip(), proc.stderr
    checked = {}
    for line in proc.stderr.splitlines():
        if line.startswith('{"checked"'):
            checked = json.loads(line)["checked"]
    return proc.returncode, json.loads(proc.stdout), checked


def leaked(hits: list[dict], path: str, source: str) -> bool:
    return any(h["path"] == path and h["kind"] == LEAKED_TEXT and source in h["label"]
               for h in hits)


# -- 1. needles from every unpublished file under docs_dir -------------------------------

UNJUDGED = {
    # docs-relative path: text of its own (each must reach the needles)
    "internal/.report.md": "内部报告：北郊第三水厂的加氯间将于冬季停用检修。\n",
    ".hidden/notes.txt": "留存备查：南湖泵站的备用电源切换方案尚未定稿。\n",
    "drafts/excluded.md": "# 草稿\n\n城东片区燃气管网改造的招标底价另行报批。\n",
    "notices/README.md": "# 说明\n\n本栏目的后台账号由信息中心统一分配管理。\n",
    "wip/plan.md": "# 计划\n\n西山隧道二期工程的施工便道临时征用林地。\n",
}
MKDOCS_EXTRA = "exclude_docs: |\n  drafts/excluded.md\ndraft_docs: |\n  wip/\n"

COPY_HOOK = """\
from pathlib import Path

FILES = {files!r}


def on_post_build(config):
    docs = Path(config.config_file_path).parent / 'content'
    for i, rel in enumerate(FILES):
        text = (docs / rel).read_text(encoding='utf-8')
        Path(config.site_dir, f'copied-{{i}}.html').write_text(f'<p>{{text}}</p>', encoding='utf-8')
"""


@pytest.fixture
def unjudged(site):
    """A published index page and, beside it, files MkDocs never publishes nor the review judges."""
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg.replace("docs_dir: content\n", "docs_dir: content\n" + MKDOCS_EXTRA))
    site.write("index.md", page("# 首页\n\n公开的首页内容。\n"))
    site.sign_all("index.md")
    site.write("notices/index.md", page("# 通知公告\n\n通知公告栏目。\n"))
    site.sign_all("notices/index.md")
    for rel, text in UNJUDGED.items():
        site.write(rel, text)
    return site


def test_the_review_never_judges_these_files(unjudged):
    review = unjudged.review()
    for rel in UNJUDGED:
        assert rel not in review.pages and rel not in review.files, rel
    assert review.pages["index.md"].published


def test_verify_site_finds_text_copied_from_files_mkdocs_never_publishes(unjudged):
    plain = unjudged.root / "plain.yml"
    (unjudged.root / "copy_hook.py").write_text(COPY_HOOK.format(files=list(UNJUDGED)),
                                                encoding="utf-8")
    plain.write_text("site_name: x\ndocs_dir: content\nsite_dir: plain-site\n" + MKDOCS_EXTRA
                     + "hooks:\n  - copy_hook.py\n", encoding="utf-8")
    build(load_config(config_file=str(plain)))
    code, hits, checked = verify(unjudged, "plain-site")
    assert code == 1
    for i, rel in enumerate(UNJUDGED):
        assert leaked(hits, f"copied-{i}.html", rel), (rel, hits)
    assert checked["withheld_sources_with_needles"] >= len(UNJUDGED)
    # Each hit says what matched: a piece of the withheld file's own text.
    for i, (rel, text) in enumerate(UNJUDGED.items()):
        said = [h.get("text") for h in hits if h["path"] == f"copied-{i}.html" and rel in h["label"]]
        assert said and all(t and t in "".join(text.split()) for t in said), (rel, said)


def test_a_gated_build_fails_when_a_hook_copies_a_dot_file(unjudged, caplog):
    unjudged.add_hook(COPY_HOOK.format(files=["internal/.report.md"]))
    with pytest.raises((PluginError, Abort)):
        unjudged.build()
    assert "copied-0.html: leaked-text: 未发布页面 withheld page internal/.report.md" in caplog.text
    assert not (unjudged.root / "site").exists()


def test_the_published_site_with_unjudged_files_beside_it_passes(unjudged):
    unjudged.build()
    assert verify(unjudged)[:2] == (0, [])


def test_symbolic_links_out_of_docs_dir_are_not_followed(unjudged, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.md").write_text("站外文件的内容不是网站的未发布页面。\n", encoding="utf-8")
    (unjudged.docs / ".link").symlink_to(outside, target_is_directory=True)
    (unjudged.docs / ".file-link.md").symlink_to(outside / "elsewhere.md")
    unjudged.build()
    (unjudged.root / "site" / "planted.html").write_text("<p>站外文件的内容不是网站的未发布页面。</p>",
                                                        encoding="utf-8")
    assert verify(unjudged)[:2] == (0, [])


# -- 2. a withheld page that is not UTF-8 ---------------------------------------------------

@pytest.fixture
def withheld(site):
    site.write("index.md", page("# 首页\n\n公开的首页内容。\n"))
    site.sign_all("index.md")
    site.write("internal/plan.md", page(WITHHELD, disclosure="不予公开"))
    site.sign_all("internal/plan.md")
    return site


def test_a_page_checked_out_as_utf16_still_gives_needles(withheld, tmp_path):
    (withheld.root / ".gitattributes").write_text("content/internal/*.md working-tree-encoding=UTF-16\n",
                                                  encoding="utf-8")
    withheld.git("add", ".gitattributes")  # the page itself stays as it was committed
    withheld.git("commit", "-q", "-m", "gitattributes")
    # .gitattributes is a build input: unapproved, verify-site fails the whole site anyway
    # (tests/test_site_inputs.py).  Approved, the withheld page still gives its needles.
    withheld.approve_inputs()
    clone = Site.clone(withheld, tmp_path / "fresh")
    raw = (clone.docs / "internal" / "plan.md").read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff") and ZH.encode() not in raw  # UTF-16 on disk
    out = clone.root / "site"
    out.mkdir()
    (out / "index.html").write_text(f"<p>{ZH}</p>", encoding="utf-8")
    code, hits, checked = verify(clone)
    assert code == 1 and leaked(hits, "index.html", "internal/plan.md"), hits
    assert checked["withheld_sources_with_needles"] == 1
    assert checked["withheld_sources_without_needles"] == []


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32", "gb18030"])
def test_a_withheld_page_in_another_encoding_gives_needles(withheld, codec):
    text = (withheld.docs / "internal" / "plan.md").read_text(encoding="utf-8")
    withheld.write("internal/plan.md", text.encode(codec))
    withheld.build()
    (withheld.root / "site" / "index.html").write_text(f"<p>{ZH}</p>", encoding="utf-8")
    code, hits, _ = verify(withheld)
    assert code == 1 and leaked(hits, "index.html", "internal/plan.md"), (codec, hits)


def test_a_nul_byte_does_not_make_a_withheld_page_binary(withheld):
    raw = (withheld.docs / "internal" / "plan.md").read_bytes()
    withheld.write("internal/plan.md", raw.replace(b"# ", b"#\x00 ", 1))
    withheld.build()
    (withheld.root / "site" / "index.html").write_text(f"<p>{ZH}</p>", encoding="utf-8")
    code, hits, _ = verify(withheld)
    assert code == 1 and leaked(hits, "index.html", "internal/plan.md"), hits


def test_verify_site_names_a_withheld_file_that_gave_no_needles(withheld):
    withheld.write("img/unapproved.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    withheld.build()
    code, hits, checked = verify(withheld)
    assert (code, hits) == (0, [])
    assert checked["withheld_sources_with_needles"] == 1
    assert checked["withheld_sources_without_needles"] == ["未发布文件 withheld file img/unapproved.png"]
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", "site"],
                          cwd=withheld.root, capture_output=True, text=True)
    assert proc.returncode == 0
    assert "img/unapproved.png: 未提供可查找的文字" in proc.stdout
    assert "checked against 1 withheld page(s) or file(s)" in proc.stdout


@pytest.mark.parametrize("data,codec", [
    ("东河湾南岸暗渠\n".encode("utf-16"), "utf-16 BOM"),
    ("---\ntitle: x\n---\n东河湾南岸暗渠\n".encode("utf-16-le"), "utf-16-le pattern"),
    ("---\ntitle: x\n---\n东河湾南岸暗渠\n".encode("utf-16-be"), "utf-16-be pattern"),
    ("---\ntitle: x\n---\n东河湾南岸暗渠\n".encode("utf-32-le"), "utf-32-le pattern"),
    ("---\ntitle: x\n---\n东河湾南岸暗渠\n".encode("utf-32-be"), "utf-32-be pattern"),
    ("东河湾南岸暗渠\n".encode("gb18030"), "gb18030"),
    ("东河湾\x00南岸暗渠\n".encode(), "utf-8 with a NUL"),
])
def test_source_text_reads_every_encoding(data, codec):
    assert "东河湾南岸暗渠" in source_text(data, text=True).replace("\x00", ""), codec
    assert "东河湾南岸暗渠" in source_text(data).replace("\x00", ""), codec


def test_source_text_calls_an_image_binary():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    assert source_text(png) is None
    assert source_text(png, text=True) is not None  # a page is always read


# -- 3-5. invisible characters, reversed text, separators: planted into the output ------------

IGNORABLE = {
    "vs16": "\ufe0f", "vs1": "\ufe00", "vs17": "\U000e0100", "vs256": "\U000e01ef",
    "cgj": "\u034f", "hangul-filler": "\u3164", "halfwidth-hangul-filler": "\uffa0",
    "choseong-filler": "\u115f", "jungseong-filler": "\u1160", "khmer": "\u17b4",
    "mongolian-fvs": "\u180b", "tag-space": "\U000e0020", "reserved-tag": "\U000e0fff",
    "zwsp": "\u200b", "zwj": "\u200d", "word-joiner": "\u2060", "soft-hyphen": "\u00ad",
    "lrm": "\u200e", "alm": "\u061c", "bom": "\ufeff", "invisible-times": "\u2062",
    "reserved-2065": "\u2065", "reserved-fff0": "\ufff0", "shorthand": "\U0001bca0",
}
PLANTED = {
    **{f"ignorable-{k}.html": "<p>" + "".join(c + v for c in ZH) + "</p>"
       for k, v in IGNORABLE.items()},
    "bidi-embedding.html": "<p>" + "".join(f"\u202a{c}\u202c" for c in ZH) + "</p>",
    "bidi-isolate.html": "<p>" + "".join(f"\u2066{c}\u2069" for c in ZH) + "</p>",
    "bdo-rtl.html": f'<p><bdo dir="rtl">{ZH[::-1]}</bdo></p>',
    "rlo.html": f"<p>\u202e{ZH[::-1]}\u202c</p>",
    "reversed-script.html": f'<script>document.write("{ZH[::-1]}".split("").reverse().join(""))</script>',
    "reversed-latin.html": f'<p><bdo dir="rtl">{(EN + ".")[::-1]}</bdo></p>',
    "hidden-span.html": "<p>" + "".join(f"{c}<span hidden>~</span>" for c in ZH) + "</p>",
    "display-none.html": "<p>" + "".join(f'{c}<span style="display: none">·</span>' for c in ZH) + "</p>",
    "visibility-hidden.html": "<p>" + "".join(f"{c}<b style='visibility:hidden'>xyz</b>" for c in ZH)
                              + "</p>",
    "middle-dot.html": "<p>" + "·".join(ZH) + "</p>",
    "tilde.html": "<p>" + "~".join(ZH) + "</p>",
    "letters.html": "<p>" + "q".join(ZH) + "</p>",
    "digits.txt": "7".join(ZH),
    "reversed-dots.html": "<p>" + "·".join(ZH[::-1]) + "</p>",
    "dots-in-search.json": json.dumps({"docs": [{"text": "、".join(ZH)}]}),
}


def test_every_hiding_place_planted_in_the_output_is_found(withheld):
    withheld.build()
    out = withheld.root / "site"
    for name, text in PLANTED.items():
        (out / "leak").mkdir(exist_ok=True)
        (out / "leak" / name).write_text(text, encoding="utf-8")
    code, hits, checked = verify(withheld)
    assert code == 1
    missed = [n for n in PLANTED if not leaked(hits, f"leak/{n}", "internal/plan.md")]
    assert not missed, missed
    assert {h["path"] for h in hits} == {f"leak/{n}" for n in PLANTED}, hits
    assert checked["reversed_needles"] > 0 and checked["projected_needles"] > 0
    # Each hit says what matched and where (the output is internal until it passes).
    plain = next(h for h in hits if h["path"] == "leak/bidi-isolate.html"
                 and h["label"] == "未发布页面 withheld page internal/plan.md")
    assert (plain["text"], plain["position"]) == (ZH, "1:4")


def test_hidden_elements_are_dropped_up_to_their_own_end():
    assert _drop_hidden("<p>关<span hidden>~</span>于</p>") == "<p>关于</p>"
    assert _drop_hidden('<p>a<span style="color:red;DISPLAY : none"><span>x</span>y</span>b</p>') \
        == "<p>ab</p>"
    assert _drop_hidden("<p>a<input type=hidden hidden>b<div hidden>never closed") == "<p>ab"
    assert _drop_hidden('<p class="data-hidden" data-hidden="1">x</p>') is None


def test_dropping_hidden_elements_stays_linear_on_hostile_markup():
    for data in ("<span hidden>" * 200_000, "<span hidden><span>" * 100_000 + "x",
                 "<a hidden " * 200_000, '<i style="display:none' * 100_000,
                 "<p hidden>" + "<p>" * 200_000, "<b hidden>x</b>" * 200_000):
        started = time.process_time()
        _drop_hidden(data)
        assert time.process_time() - started < 2, data[:20]
    scanner = LeakScanner({n: "withheld page plan.md" for n in needles_from_text(WITHHELD)})
    started = time.process_time()
    scanner.scan_bytes("hostile.html", ("<p>" + "<span hidden>~</span>" * 100_000 + "</p>").encode())
    assert time.process_time() - started < 10


# -- no false alarm ----------------------------------------------------------------------

def test_projection_and_reversal_raise_no_false_alarm_on_near_copies(site):
    """A published page that says what a withheld draft says, with other numbers and
    punctuation; Chinese names joined by ``·``; Chinese code comments: no hit."""
    site.write("index.md", page("# 首页\n\n欢迎访问。\n"))
    site.write("budget.md", page(
        "# 2026年度预算\n\n2026年度财政预算执行情况的说明：全市一般公共预算收入完成120亿元，"
        "同比增长3.5%。\n\n主要负责人：阿卜杜拉·买买提、约翰·史密斯。\n\n"
        "```python\n# 计算各区县上报的预算执行数量并汇总\ntotal = sum(values)\n```\n"))
    for rel in ("index.md", "budget.md"):
        site.sign_all(rel)
    site.write("draft.md", page(
        "# 2025年度预算（草稿）\n\n2025年度财政预算执行情况的说明，全市一般公共预算收入完成98亿元，"
        "同比增长2.1%。\n\n主要负责人：阿卜杜拉买买提、约翰史密斯。\n\n"
        "计算各区县上报的预算执行数量并汇总。\n\n草稿另有一句独有的话：城北片区的拆迁补偿标准暂不公开。\n",
        disclosure="不予公开"))
    site.sign_all("draft.md")
    site.build()
    assert verify(site)[:2] == (0, [])
    # The draft's own sentence is still looked for, with separators too.
    (site.root / "site" / "planted.html").write_text("<p>" + "·".join("城北片区的拆迁补偿标准暂不公开")
                                                     + "</p>", encoding="utf-8")
    code, hits, _ = verify(site)
    assert code == 1 and leaked(hits, "planted.html", "draft.md")


def test_needle_helpers_drop_what_published_text_holds():
    needles = {"东河湾南岸暗渠的应急调度预案": "withheld page a.md", "OperationBluePine": "withheld page a.md"}
    back = reversed_needles(needles, ["公开页面：案预度调急应的渠暗岸南湾河东"])
    assert "eniPeulBnoitarepO" in back and "案预度调急应的渠暗岸南湾河东" not in back
    assert reversed_needles(needles, latin=False) == {"案预度调急应的渠暗岸南湾河东": "withheld page a.md（倒序 reversed）"}
    assert projected_needles(needles) == {"东河湾南岸暗渠的应急调度预案": "withheld page a.md（仅汉字 CJK projection）"}
    # Published with a word and punctuation between: dropped from the projection.
    assert projected_needles(needles, ["东河湾南岸 abc 暗渠的，应急调度预案"]) == {}
    assert project_cjk("关·于 py 调整 total 供水") == "关于调整\x00供水"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab东河\x00-", min_size=1, max_size=6), min_size=1, max_size=90),
       st.lists(st.text(alphabet="ab东河 -", max_size=40), max_size=8))
def test_needles_are_dropped_exactly_where_a_text_holds_them(words, pieces):
    """Dropping the fragments published text holds searches ASCII text by ``str`` search when
    few fragments are ASCII, and everything else with one automaton: the same fragments go
    as a plain search of each text would drop, with few or many ASCII fragments."""
    from secrecy_gate.scanners import leakscan
    words = [w.replace("\x00", "") or "a" for w in words]
    expected = {i for i, w in enumerate(words) if any(w in p for p in pieces)}
    assert leakscan._found_in(words, leakscan.Corpus(pieces)) == expected
    with pytest.MonkeyPatch.context() as mp:  # many ASCII fragments: the automaton for all
        mp.setattr(leakscan, "_FEW_ASCII", 0)
        assert leakscan._found_in(words, leakscan.Corpus(pieces)) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab东 \n`~[]()!^{}:.#<>-*_=\\&|?+>1", max_size=80))
def test_plain_text_skips_only_patterns_that_cannot_match(markdown):
    """``plain_text`` runs each syntax pattern only where the text holds what the pattern
    needs: the lines are those of running every pattern."""
    from secrecy_gate.scanners import leakscan as L
    s = markdown
    for pattern, repl in ((L._SKIP_LINE, ""), (L._ADMONITION, ""), (L._LINE_PREFIX, ""),
                          (L._IMAGE, r"\1"), (L._LINK, r"\1"), (L._FOOTNOTE_REF, ""),
                          (L._ATTR_LIST, ""), (L._HTML_TAG, " "), (L._EMPHASIS, ""),
                          (L._ESCAPE, r"\1")):
        s = pattern.sub(repl, s)
    if "&" in s:
        import html
        s = html.unescape(s)
    assert L.plain_text(markdown) == s.split("\n")


def test_a_withheld_file_that_cannot_be_read_fails_closed(withheld):
    """A FIFO under docs_dir (reading it would block) cannot be read even as root."""
    withheld.build()
    os.mkfifo(withheld.docs / "internal" / ".pipe.md")
    code, hits, checked = verify(withheld)
    assert code == 1
    assert [h["path"] for h in hits if h["kind"] == UNSCANNABLE] == ["(docs_dir)"]
    assert "internal/.pipe.md" in hits[0]["label"]
    assert checked["unreadable"] == ["未发布页面 withheld page internal/.pipe.md"]


def test_a_secret_point_reversed_or_with_separators_is_found(site):
    point = "第三水厂备用取水口位于东河湾南岸暗渠"
    body = ("# 关于调整部分区域供水安排的通知\n\n自下周起，凉州区部分区域调整供水时间。\n"
            f"涉及区域：<!-- 密点 -->{point}<!-- /密点 -->以外的全部片区。\n")
    site.write("water.md", page(body, disclosure="删减后公开", review_extra="redactions: 1\n"))
    site.sign_all("water.md")
    assert site.verdict("water.md").published
    site.build()
    site.assert_absent(point)
    assert verify(site)[:2] == (0, [])
    out = site.root / "site"
    (out / "reversed.html").write_text(f'<p><bdo dir="rtl">{point[::-1]}</bdo></p>', encoding="utf-8")
    (out / "dotted.html").write_text("<p>" + "·".join(point) + "</p>", encoding="utf-8")
    (out / "veiled.html").write_text("<p>" + "\U000e0101".join(point) + "</p>", encoding="utf-8")
    code, hits, checked = verify(site)
    assert code == 1 and checked["secret_points"] == 1
    for name in ("reversed.html", "dotted.html", "veiled.html"):
        assert leaked(hits, name, "第九条密点 redacted point in water.md"), (name, hits)


def test_a_directory_that_cannot_be_listed_fails_closed(withheld, monkeypatch):
    """As root every directory can be listed: the refusal is made by os.scandir here."""
    from secrecy_gate.build.verify import scanner_from_inputs, scanner_inputs
    withheld.write(".private/notes.md", "不能列出的目录里的文字。\n")
    withheld.build()
    real = os.scandir

    def refusing(path="."):
        if str(path).endswith(".private"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", refusing)
    review = withheld.review()
    scanner = scanner_from_inputs(*scanner_inputs(review, withheld.docs))
    hits = scanner.scan_dir(withheld.root / "site")
    assert [h.kind for h in hits] == [UNSCANNABLE] and ".private/" in hits[0].label
    assert scanner.summary.unreadable == ["未发布目录 directory .private/"]


def test_a_scanner_of_reversed_needles_only_reads_a_binary_file():
    scanner = LeakScanner(reversed_needles({n: "withheld page plan.md" for n in needles_from_text(WITHHELD)}))
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    assert scanner.scan_bytes("img/a.png", png) == []
    hits = scanner.scan_bytes("a.html", f"<p>{ZH[::-1]}</p>".encode())
    assert [h.kind for h in hits] == [LEAKED_TEXT]


@pytest.mark.parametrize("unit", ["<!--", "<script>", "<style>", "<a ", "<", "<p", 'alt="x', "<div hidden>"])
def test_markup_left_open_is_closed_at_its_end_and_still_scanned(unit):
    """A file of openings that never close (a careless or hostile page): each is closed at
    the end of the file, as a browser reads it, so that every match attempt finds its end
    (without that, a megabyte of them took minutes: each attempt scanned to the end of the
    file); withheld text before or after them is still found."""
    from secrecy_gate.scanners.leakscan import LeakScanner, _closed
    data = unit * (1_000_000 // len(unit))
    closed = _closed(data)
    assert closed.startswith(data)
    assert closed.rfind("<") < closed.rfind(">") or "<" not in closed
    assert closed.rfind("<!--") <= closed.rfind("-->")
    scanner = LeakScanner({"一段未发布页面的正文内容": "withheld page x.md"})
    assert scanner.scan_bytes("open.html", (data + "一段未发布页面的正文内容").encode()) is not None
    assert scanner.scan_bytes("open.html", ("<p>一段未发布页面的正文内容</p>" + data).encode())


# -- short English clauses (red team, third round) ------------------------------------------

def test_short_english_prose_of_a_withheld_page_is_still_looked_for(site):
    """ASCII fragments under 16 characters are too common to be evidence — unless they are
    prose of three words or more: a withheld sentence written in short clauses."""
    site.write("index.md", page("# 首页\n\n公开的首页内容。\n"))
    site.sign_all("index.md")
    site.write("internal/memo.md", page("# Memo\n\nMayor Chen, paid by Acme Ltd, under review.\n\n"
                                        "| function | undefined |\n| --- | --- |\n",
                                        disclosure="不予公开"))
    site.sign_all("internal/memo.md", "不予公开")
    site.build()
    out = site.root / "site"
    (out / "planted.html").write_text("<p>function undefined</p>", encoding="utf-8")
    assert verify(site)[:2] == (0, [])  # single words prove nothing
    (out / "planted.html").write_text("<p>the bill was paid by Acme Ltd.</p>", encoding="utf-8")
    code, hits, _ = verify(site)
    assert code == 1 and leaked(hits, "planted.html", "internal/memo.md"), hits


def test_squash_drops_exactly_what_regex_whitespace_is():
    """``squash`` removes whitespace with ``str.split`` (faster than the regex ``\\s+`` it
    replaced): the two agree on every code point."""
    import re
    import sys
    ws = re.compile(r"\s")
    assert all(bool(ws.match(chr(c))) == chr(c).isspace() for c in range(sys.maxunicode + 1))


@pytest.mark.parametrize("name, marking", [
    ("notices/信访人反映的问题正在核查中.md", False),
    ("信访人反映的问题正在核查中/通知.md", False),
    ("notices/绝密★长期.md", True),
])
def test_page_renamed_to_a_withheld_sentence_fails(site, caplog, name, marking):
    """Red team, issue 15: no signature covers a page's path (``git mv`` keeps a page's SSH
    signatures), and published paths counted as public text, so an editor alone could
    rename a signed page to a withheld sentence — or to a marking — and publish it as the
    page's address, in every link, the sitemap and the search index.  Paths are no longer
    public, and the output's file and directory names are searched like its text."""
    sentence = "信访人反映的问题正在核查中"
    site.write("internal.md", page(f"# 内部\n\n{sentence}，处理意见尚未作出。\n", disclosure="不予公开"))
    site.sign_all("internal.md")
    site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    site.write(name, page("# 通知\n\n一份已经签署的公开通知。\n"))
    site.sign_all(name)
    assert site.verdict(name).published
    import logging
    caplog.set_level(logging.INFO, logger="mkdocs")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert not (site.root / "site").exists()
    kind = "secrecy-marking" if marking else "leaked-text"
    assert f"{kind}" in caplog.text and "in the file or directory name" in caplog.text


@pytest.mark.parametrize("content, kind", [
    ('{"a": 1}\n信访人反映的问题正在核查中，处理意见尚未作出', "leaked-text"),
    ('{"a": "x"}\n绝密★长期', "secrecy-marking"),
    ('{"id": 620602198503151239}', "resident-id"),
    ('信访人反映的问题正在核查中，处理意见尚未作出 ["x"]', "leaked-text"),
])
def test_text_outside_the_strings_of_a_json_file_is_scanned(tmp_path, content, kind):
    """Red team, issue 15: a JSON file was read string by string, so a number (an ID number
    written as one) or text before or after the JSON value was never looked at."""
    from secrecy_gate.scanners import LeakScanner
    (tmp_path / "data.json").write_text(content, encoding="utf-8")
    hits = LeakScanner({"信访人反映的问题正在核查中": "withheld page a.md"}).scan_dir(tmp_path)
    assert kind in {h.kind for h in hits}, hits


@pytest.mark.parametrize("names", [
    ["信访人反映/的问题正在核查中/index.html"],
    ["信访人反映_的问题正在核查中/index.html"], ["信访人反映的问题-正在核查中/index.html"],
    ["信访人反映的问题.正在核查中/index.html"], ["信访人/反映的问题/正在核查中/index.html"],
    ["信访人x反映的问题正在核查中/index.html"], ["信访人(反映)的问题~正在核查中/index.html"],
    ["绝密_★长期/index.html"], ["机密-10年/index.html"], ["绝-密★长期/index.html"],
    ["绝/密★长期/index.html"], ["620602x198503151239/index.html"],
])
def test_names_split_by_separators_are_still_read(tmp_path, names):
    """Red team, issue 15, second round: the names were matched as written, so a withheld
    sentence, a marking or an ID number split by ``/``, ``_``, ``-``, ``.``, brackets or a
    letter went out as an address.  Names are read without their separators, without
    letters, by their ideographs alone, and cut at every separator."""
    from secrecy_gate.scanners import LeakScanner
    from secrecy_gate.scanners.leakscan import projected_needles
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<p>公开</p>", encoding="utf-8")
    needles = {"信访人反映的问题正在核查中": "withheld page a.md"}
    hits = LeakScanner(needles, projected=projected_needles(needles)).scan_dir(tmp_path)
    assert hits and all("file or directory name" in h.label for h in hits), hits


def test_ordinary_names_are_no_hit(tmp_path):
    """Dates, numbered files and Chinese titles as names are not mistaken for a leak."""
    from secrecy_gate.scanners import LeakScanner
    from secrecy_gate.scanners.leakscan import projected_needles
    for name in ("2026/11/30/关于调整供水时间的通知/index.html", "files/IMG_20240315_138000123.jpg",
                 "xxgk/zfxxgkml/2026-0001/附件1-申报表.xlsx", "assets/images/favicon.png",
                 "保密工作/国家秘密定密管理办法/index.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    needles = {"信访人反映的问题正在核查中": "withheld page a.md"}
    assert LeakScanner(needles, projected=projected_needles(needles)).scan_dir(tmp_path) == []


@pytest.mark.parametrize("utf8", [True, False])
def test_archive_member_names_are_read(tmp_path, utf8):
    """An archive's member names are what anyone who opens it reads first: a withheld
    sentence as a member's name (UTF-8, or GBK bytes as Chinese Windows writes them) is a
    hit, like a file name in the output."""
    import io as _io
    import zipfile
    from secrecy_gate.scanners import LeakScanner
    name = "材料/信访人反映的问题正在核查中.txt"
    gbk = name.encode("gbk")
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        # Without the UTF-8 flag: an ASCII name as long as the GBK bytes, swapped in after.
        zf.writestr(zipfile.ZipInfo(name if utf8 else "x" * len(gbk)), "公开")
    data = buf.getvalue() if utf8 else buf.getvalue().replace(b"x" * len(gbk), gbk)
    (tmp_path / "a.zip").write_bytes(data)
    hits = LeakScanner({"信访人反映的问题正在核查中": "withheld page a.md"}).scan_dir(tmp_path)
    assert [h.path.split("!")[0] for h in hits if h.kind == "leaked-text"] == ["a.zip"]


@pytest.mark.parametrize("name, kind", [
    ("信访人反映的/目录/问题正在核查中/a/index.html", "leaked-text"),
    ("絶密★長期/index.html", "secrecy-marking"),
    ("信訪人反映的問題正在核查中/index.html", "leaked-text"),
    ("信访人反映的目录问题正在核查中/index.html", "leaked-text"),
    ("资料/信访人反映的有关问题目前正在核查中.html", "leaked-text"),
    ("資料/信訪人反映/的問題正在核查中.html", "leaked-text"),
    ("六二〇六〇二一九八五〇三一五一二三九/index.html", "resident-id"),
    ("t3/620602年198503151239/index.html", "resident-id"),
    ("\u0666\u0662\u0660\u0666\u0660\u0662198503151239/index.html", "resident-id"),
])
def test_names_third_round(tmp_path, name, kind):
    """Red team, issue 15, third round: a word put between a sentence's halves as a directory
    of its own; a marking with a Japanese variant (絶); an ID number in Chinese numerals, in
    Arabic-Indic digits, or cut by an ideograph."""
    from secrecy_gate.scanners import LeakScanner
    from secrecy_gate.scanners.leakscan import projected_needles
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text("<p>公开</p>", encoding="utf-8")
    needles = {"信访人反映的问题正在核查中": "withheld page a.md"}
    hits = LeakScanner(needles, projected=projected_needles(needles)).scan_dir(tmp_path)
    assert kind in {h.kind for h in hits}, hits
