"""What attachments contain (issue 14): real PDF, Word, Excel, PowerPoint, OpenDocument and CSV files.

Every file is written by its format's own library (``tests/docfiles.py``),
listed in a page's ``review.attachments``, signed by the four reviewers in a
real git repository and built with MkDocs; the whole output is searched —
the bytes (``assert_absent``) and the text of every document in it, as the
gate's own extraction reads it (PDF streams are compressed).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import docfiles as D
import pytest
from conftest import page
from mkdocs.exceptions import Abort, PluginError

from secrecy_gate.scanners import documents

SECRET = "第三水厂备用取水口位于东河湾南岸暗渠"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attach(site, rel: str, files: dict, body: str = "# 通知\n\n公开正文。\n", *, sign=True,
           ack: dict | None = None, allowed=(), **kw) -> None:
    """Write ``files`` (name -> bytes) under files/ and a page listing and linking them."""
    entries = []
    for name, data in files.items():
        site.write(f"files/{name}", data, commit=False)
        extra = f", unreadable: {ack[name]}" if ack and name in ack else ""
        entries.append(f"  - {{path: files/{name}, sha256: {sha(data)}{extra}}}\n")
    review = kw.pop("review_extra", "")
    review += "attachments:\n" + "".join(entries)
    if allowed:
        review += "pii_allowed:\n" + "".join(f"  - {{value: '{v}', reason: 公示要求}}\n" for v in allowed)
    links = "".join(f"\n[{n}](files/{n})\n" for n in files)
    site.write(rel, page(body + links, review_extra=review, **kw))
    if sign:
        site.sign_all(rel)


def findings(site, rel):
    return site.verdict(rel).findings


def codes(site, rel):
    return {f.code for f in findings(site, rel) if f.withholds}


def output_all(site) -> str:
    return site.output_text() + D.output_documents_text(site.root / "site")


# -- the "done when" ----------------------------------------------------------

def test_subsidy_list_with_one_unmasked_id_in_a_hidden_sheet_cannot_reach_the_site(site):
    rows = [["序号", "姓名", "身份证号", "补贴金额（元）"],
            [1, "张*", "620602********1239", 1200],
            [2, "李*", "620602********002X", 800]]
    data = D.xlsx(rows, hidden={"C5": D.ID_HIDDEN})
    attach(site, "subsidy.md", {"subsidy.xlsx": data})
    fs = [f for f in findings(site, "subsidy.md") if f.code == "attachment.resident-id"]
    assert len(fs) == 1 and fs[0].withholds and fs[0].article == "第六条（二）、第七条"
    f = fs[0]
    # Names the attachment, the place (hidden sheet and cell), the masked match, the fix.
    assert "files/subsidy.xlsx" in f.message_zh and "备用" in f.message_zh and "隐藏工作表" in f.message_zh
    assert "C5" in f.message_zh and "C5" in f.message_en and "hidden sheet" in f.message_en
    assert "110***********002X" in f.message_zh and D.ID_HIDDEN not in f.render() + f.render("en")
    assert f.field == "review.attachments[0]" and "pii_allowed" in f.fix_zh
    site.build()
    assert "files/subsidy.xlsx" not in site.output_files()
    site.assert_absent(D.ID_HIDDEN, "公开正文")
    assert D.ID_HIDDEN not in output_all(site)


def test_ids_as_text_and_as_numbers(site):
    rows = [["姓名", "身份证号", "旧身份证号"],
            ["张三", D.ID_TEXT, ""],              # as text: the checksum finds it
            ["李四", int(D.ID_TEXT), ""],         # as a number: 6.20602E+17, digits lost
            ["王五", "", int(D.ID_OLD)]]          # 15 digits as a number: exact
    attach(site, "list.md", {"list.xlsx": D.xlsx(rows)})
    fs = findings(site, "list.md")
    ids = [f for f in fs if f.code == "attachment.resident-id"]
    assert any("B2" in f.message_zh for f in ids)
    assert any("C4" in f.message_zh and "第一代" in f.message_zh for f in ids)
    lossy = [f for f in fs if f.code == "attachment.lossy-number"]
    assert len(lossy) == 1 and "B3" in lossy[0].message_zh and lossy[0].withholds
    assert "文本格式" in lossy[0].fix_zh


def test_pii_allowed_covers_attachment_values_one_by_one(site):
    rows = [["姓名", "联系电话"], ["办公室", "13812345678"], ["张三", "13912345678"]]
    attach(site, "a.md", {"a.csv": "\n".join(",".join(r) for r in rows).encode()},
           allowed=["13812345678"])
    fs = [f for f in findings(site, "a.md") if f.code == "attachment.mobile"]
    assert len(fs) == 1 and "139****5678" in fs[0].message_zh and "第3行" in fs[0].message_zh
    attach(site, "b.md", {"b.csv": "\n".join(",".join(r) for r in rows).encode()},
           allowed=["13812345678", "139 1234 5678"])
    assert not [f for f in findings(site, "b.md") if f.code.startswith("attachment.")]


def test_docx_tracked_deletion_holding_a_secret_point_withholds_the_redacted_page(site):
    body = f"# 供水安排\n\n涉及区域：<!-- 密点 -->{SECRET}<!-- /密点 -->以外的全部片区。\n"
    data = D.docx(["关于调整部分区域供水安排的通知"], deleted=SECRET)
    attach(site, "water.md", {"notice.docx": data}, body=body, disclosure="删减后公开",
           review_extra="redactions: 1\n")
    fs = [f for f in findings(site, "water.md") if f.code == "redaction.secret-in-attachment"]
    assert fs and fs[0].article == "第九条" and fs[0].withholds
    assert "files/notice.docx" in fs[0].message_zh and "删除的修订" in fs[0].message_zh
    assert "tracked deletion" in fs[0].message_en and SECRET not in fs[0].render()
    site.build()
    assert "files/notice.docx" not in site.output_files()
    assert SECRET not in output_all(site)


def test_docx_split_runs_comments_and_metadata(site):
    data = D.docx(["正文"], split_id=D.ID_TEXT, comment="联系 13812345678", author="张科长")
    attach(site, "d.md", {"d.docx": data})
    fs = findings(site, "d.md")
    assert any(f.code == "attachment.resident-id" and "正文第" in f.message_zh for f in fs)
    assert any(f.code == "attachment.mobile" and "批注" in f.message_zh for f in fs)
    meta = [f for f in fs if f.code == "attachment.metadata"]
    assert meta and not meta[0].withholds and "张科长" in meta[0].message_zh
    assert "exiftool -all=" in meta[0].fix_zh and "删除个人信息" in meta[0].fix_zh


def test_pdf_text_under_a_black_rectangle_is_read(site):
    data = D.pdf(["申请人：张三", f"身份证号：{D.ID_TEXT}"], black_box=True)
    attach(site, "p.md", {"p.pdf": data})
    fs = [f for f in findings(site, "p.md") if f.code == "attachment.resident-id"]
    assert fs and "第1页" in fs[0].message_zh and "page 1" in fs[0].message_en
    site.build()
    assert "files/p.pdf" not in site.output_files() and D.ID_TEXT not in output_all(site)


def test_a_pdf_named_as_an_image_is_read_as_a_pdf(site):
    data = b"\x89PNG junk before the header\n" + D.pdf([f"身份证号：{D.ID_TEXT}"])
    attach(site, "p.md", {"photo.png": data})
    assert "attachment.resident-id" in codes(site, "p.md")


def test_pdf_annotations_and_form_fields_are_read(site):
    data = D.pdf(["正文"], annotation=f"批注 {D.ID_TEXT}", field_value=D.ID_OLD)
    attach(site, "p.md", {"p.pdf": data})
    fs = [f for f in findings(site, "p.md") if f.code == "attachment.resident-id"]
    assert len(fs) == 2 and all("注释或表单域" in f.message_zh for f in fs)


@pytest.mark.parametrize("name, data, why, leak_scan_reads", [
    ("enc.pdf", D.pdf(["公开内容"], encrypt="secret"), "加密", True),
    ("scan.pdf", D.pdf([], image_only=True), "扫描件", True),
    # A broken zip container: the leak scan cannot open it either, so even acknowledged it
    # fails the build (unscannable) — fail closed.
    ("broken.xlsx", b"PK\x03\x04 not really a workbook", "损坏", False),
    ("broken.pdf", b"%PDF-1.7\n garbage", "损坏", True),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版二进制格式", True),
    ("bundle.rar", b"Rar!\x1a\x07\x00 data", ".rar", False),
])
def test_unreadable_means_withheld_unless_acknowledged(site, name, data, why, leak_scan_reads):
    attach(site, "u.md", {name: data})
    fs = [f for f in findings(site, "u.md") if f.code == "attachment.unreadable"]
    assert fs and fs[0].withholds and why in fs[0].message_zh and fs[0].article == "第二条"
    assert "unreadable:" in fs[0].fix_en
    site.build()
    assert f"files/{name}" not in site.output_files()
    # The reviewers acknowledge it by its sha256 in the record, and sign again.
    attach(site, "u.md", {name: data}, ack={name: "扫描件，已人工核对"})
    v = site.verdict("u.md")
    assert v.published, [f.render() for f in v.findings]
    assert any(f.code == "attachment.unreadable-acknowledged" and "已人工核对" in f.message_zh
               for f in v.findings)
    if not leak_scan_reads:
        with pytest.raises((PluginError, Abort)):
            site.build()
        assert f"files/{name}" not in site.output_files()
        return
    site.build()
    assert f"files/{name}" in site.output_files()


def test_acknowledgement_is_signed_with_the_record(site):
    data = D.pdf(["x"], encrypt="pw")
    attach(site, "u.md", {"enc.pdf": data})
    assert "attachment.unreadable" in codes(site, "u.md")
    # An editor adds the acknowledgement after the four signatures: the digest the signatures
    # sign covers it, so every signature is void.
    path = site.docs / "u.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"sha256: {sha(data)}}}", f"sha256: {sha(data)}, unreadable: 已核对}}"),
                    encoding="utf-8")
    site.commit_all("编辑加入确认")
    assert "unreadable: 已核对" in path.read_text(encoding="utf-8")
    found = codes(site, "u.md")
    assert found == {"digest.stale"}


@pytest.mark.parametrize("name, data", [
    ("clean.pdf", D.pdf(["关于开展2026年惠农补贴申报的通知", "联系电话：0935-2212345"])),
    ("clean.docx", D.docx(["申报材料清单", "身份证号 620602********1239"])),
    ("clean.xlsx", D.xlsx([["姓名", "身份证号", "金额"], ["张*", "620602********1239", 1200.5]])),
    ("clean.pptx", D.pptx(["2026年工作要点"])),
    ("clean.ods", D.ods([["项目", "金额"], ["农机补贴", "1200"]])),
    ("clean.csv", "项目,金额\n农机补贴,1200\n".encode("gb18030")),
    ("clean.txt", "申报时间：2026年12月1日至12月31日\n".encode()),
])
def test_clean_attachments_of_each_format_publish(site, name, data):
    attach(site, "ok.md", {name: data})
    v = site.verdict("ok.md")
    assert v.published, [f.render() for f in v.findings]
    site.build()
    assert f"files/{name}" in site.output_files()
    assert "公开正文" in site.output_text()


def test_asset_documents_are_read_too(make_site):
    site = make_site(plugin_options="      assets: ['downloads/*']\n")
    site.write("downloads/form.xlsx", D.xlsx([["身份证号"], [D.ID_TEXT]]), commit=False)
    site.write("downloads/guide.pdf", D.pdf(["办事指南"]), commit=False)
    site.approve_inputs()
    site.write("index.md", page("# 首页\n\n公开正文。\n"))
    site.sign_all("index.md")
    review = site.review()
    assert review.files["downloads/guide.pdf"].published
    bad = review.files["downloads/form.xlsx"]
    assert not bad.published and bad.code == "file.content" and "620***********1239" in bad.reason_zh
    site.build()
    assert "downloads/guide.pdf" in site.output_files()
    assert "downloads/form.xlsx" not in site.output_files() and D.ID_TEXT not in output_all(site)


def test_leak_scan_reads_documents_in_the_output(make_site):
    """A withheld page's text inside a PDF that reaches the output another way is a leak."""
    site = make_site(plugin_options="      assets: ['downloads/*']\n")
    withheld = "绝密测试文字甲一关于东区供水管网改造的内部讨论意见"
    site.write("secret.md", page(f"# 内部\n\n{withheld}\n", disclosure="不予公开"))
    site.write("downloads/copy.pdf", D.pdf([withheld]), commit=False)
    site.approve_inputs()
    site.write("index.md", page("# 首页\n\n公开正文。\n"))
    site.sign_all("index.md")
    assert site.review().files["downloads/copy.pdf"].published  # no marking, no PII
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert withheld not in output_all(site)


def test_pre_commit_reads_documents_being_committed(site):
    data = D.xlsx([["身份证号"], [D.ID_TEXT]])
    site.write("files/list.xlsx", data, commit=False)
    site.write("files/ok.pdf", D.pdf(["公开内容"]), commit=False)
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "check", "--pre-commit",
                           "--format", "json", "content/files/list.xlsx", "content/files/ok.pdf"],
                          cwd=site.root, capture_output=True, text=True)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    files = {f["path"]: f for f in out["files"]}
    assert files["content/files/list.xlsx"]["blocked"]
    assert any(x["code"] == "attachment.resident-id" for x in files["content/files/list.xlsx"]["findings"])
    assert not files["content/files/ok.pdf"]["blocked"]


def test_unchanged_attachments_are_read_once(site):
    data = D.xlsx([["姓名"], ["张*"]], hidden={"A1": "备注"})
    attach(site, "c.md", {"c.xlsx": data})
    from secrecy_gate.review.gate import Gate, ReviewCache
    cache = ReviewCache()
    gate = Gate(site.gate_config(), cache)
    gate.review()
    reads = documents.CACHE.reads
    for _ in range(3):  # what `mkdocs serve` does on every change
        assert gate.review().pages["c.md"].published
    assert documents.CACHE.reads == reads
    # A changed file is read again (and no longer matches its sha256).
    (site.docs / "files/c.xlsx").write_bytes(D.xlsx([["姓名"], ["王*"]]))
    assert "attachment.hash-mismatch" in {f.code for f in gate.review().pages["c.md"].verdict.findings}


def test_attachment_corpus_recall_and_precision():
    from pathlib import Path
    scores = D.corpus_scores(Path(__file__).parent / "corpus" / "attachments.yml")
    print("\nattachment corpus (tests/corpus/attachments.yml):")
    for fmt, (tp, fn, fp, misses, alarms) in scores.items():
        recall = tp / (tp + fn) if tp + fn else 1.0
        precision = tp / (tp + fp) if tp + fp else 1.0
        print(f"  {fmt:5} recall {recall:.3f}  precision {precision:.3f}  (tp={tp} fn={fn} fp={fp})")
        assert not misses, (fmt, misses)
        assert not alarms, (fmt, alarms)


def test_row_numbers_beside_masked_ids_are_not_read_as_phone_numbers(site):
    """A subsidy list's 序号 column beside masked IDs and card numbers: the leak scan reads
    the spreadsheet's XML parts too, and read the cells of a row as one run of digits
    (``1`` + ``54…`` → a masked mobile number ``154****0602``), failing a clean build.  Cells
    are separate values there, as the gate reads them."""
    import random
    rng = random.Random(1)
    # As numbers and text cells are written: ``<c t="n"><v>193</v></c><c t="inlineStr">…``.
    rows = [[r, f"620602********{rng.randrange(10000):04d}"] for r in range(3000)]
    data = D.xlsx(rows)
    attach(site, "list.md", {"list.xlsx": data})
    assert site.verdict("list.md").published
    site.build()
    assert "files/list.xlsx" in site.output_files()


def test_mobile_number_in_one_cell_of_a_published_copy_is_still_caught(make_site):
    """The cells kept apart do not hide a number written whole in one cell: a hook that puts
    a spreadsheet with a mobile number into the output fails the build."""
    site = make_site()
    site.write("index.md", page("# 首页\n\n公开正文。\n"))
    site.sign_all("index.md")
    leaked = D.xlsx([["序号", "联系电话"], [1, "13912345678"]])
    site.add_hook("from pathlib import Path\n"
                  "def on_post_build(config):\n"
                  f"    Path(config.site_dir, 'list.xlsx').write_bytes({leaked!r})\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert not (site.root / "site").exists()


def test_listed_script_is_read_for_what_it_says(site):
    """Red team, issue 15: a script or style sheet a page lists as an attachment is
    published for what it says, but no document reader took it, so an ID number and a
    marking in ``list.js`` passed the review.  A listed one is read as text."""
    attach(site, "bad.md", {"list.js": f'var rows = ["张三 {D.ID_TEXT} 绝密★长期"];\n'.encode()})
    found = codes(site, "bad.md")
    assert "attachment.resident-id" in found and "attachment.marking" in found, found
    attach(site, "ok.md", {"ok.js": 'var rows = ["申报时间：2026年12月"];\n'.encode()})
    assert site.verdict("ok.md").published


def test_check_reads_documents_ahead_and_judges_the_same(site, monkeypatch):
    """`check` on a large site has the documents read by a second process while it parses
    the pages (as the build does); the verdicts are the same as reading them itself."""
    import secrecy_gate.build.plugin as plugin_module
    from click.testing import CliRunner
    from secrecy_gate.cli import main
    attach(site, "a.md", {"list.xlsx": D.xlsx([["身份证号"], [D.ID_TEXT]])})
    attach(site, "b.md", {"ok.pdf": D.pdf(["公开的办事指南"])})

    def judged():
        run = CliRunner().invoke(main, ["check", "--format", "json", "-f", str(site.root / "mkdocs.yml")])
        return {p["page"]: (p["outcome"], sorted(f["code"] for f in p["findings"]))
                for p in json.loads(run.stdout)["pages"]}
    alone = judged()
    monkeypatch.setattr(plugin_module, "BACKGROUND_SCAN_PAGES", 1)
    documents.CACHE.items.clear()
    assert judged() == alone
    assert alone["a.md"][0] == "withhold" and "attachment.resident-id" in alone["a.md"][1]
    assert alone["b.md"][0] == "publish"
