"""Routes a second red team took past the attachment reading (issue 14, third round), each caught.

Word files whose body is an alternative-format chunk (``w:altChunk``: RTF, MHT) or that carry
a part nothing reads; PDFs whose text a script writes when they open, or that are XFA forms;
images whose metadata (PNG text chunks, EXIF with the Windows XP* tags, XMP) holds an ID
number, a mobile number or a marking.  Every file is written by code
(``tests/redteam_files.py``), listed in a page's ``review.attachments`` or admitted by an
``assets:`` glob, signed by the four reviewers in a real git repository and built with MkDocs;
the output is searched.
"""

from __future__ import annotations

import json
import subprocess
import sys

import docfiles as D
import redteam_files as F
from conftest import page
from test_attachments import attach, findings, output_all
from test_attachments_redteam import assert_caught

ID_MASKED = "620***********1239"
MOB_MASKED = "139****5678"


def caught(site, rel, name, *codes_and_texts):
    """Each (code, text) is a withholding finding on ``rel`` naming ``files/<name>``."""
    return assert_caught(site, rel, name, None, *codes_and_texts)


def not_published(site, name, *absent):
    site.build()
    assert f"files/{name}" not in site.output_files()
    for text in absent:
        assert text not in output_all(site)


# -- 1. Word: alternative-format chunks, parts nothing reads ---------------------------------

def test_docx_altchunk_rtf_is_read(site):
    data = F.docx_altchunk_rtf()  # digits as \'36\'32…, Chinese as \uNNNN?
    attach(site, "rtf.md", {"list.docx": data})
    fs = caught(site, "rtf.md", "list.docx", ("attachment.resident-id", ID_MASKED),
                ("attachment.marking", "机密★5年"))
    assert any("afchunk.rtf" in f.message_zh for f in fs if f.code == "attachment.resident-id")
    not_published(site, "list.docx", F.ID)


def test_docx_altchunk_mht_quoted_printable_is_read(site):
    data = F.docx_altchunk_mht()  # soft line break =\r\n inside the ID
    attach(site, "mht.md", {"list.docx": data})
    caught(site, "mht.md", "list.docx", ("attachment.resident-id", ID_MASKED),
           ("attachment.marking", "机密★5年"))
    not_published(site, "list.docx", F.ID)


def test_docx_altchunk_secret_point_is_a_leak_in_the_output():
    from secrecy_gate.scanners.leakscan import LeakScanner
    for data in (F.docx_altchunk_rtf(), F.docx_altchunk_mht()):
        hits = LeakScanner({F.SECRET: "water.md"}).scan_bytes("f.docx", data)
        assert any(h.kind == "leaked-text" for h in hits), hits


def test_docx_part_nothing_reads_is_unreadable_unless_acknowledged(site):
    data = F.docx_opaque_part()
    attach(site, "opaque.md", {"a.docx": data})
    caught(site, "opaque.md", "a.docx", ("attachment.unreadable", "word/payload.dat"))
    attach(site, "opaque2.md", {"b.docx": data}, ack={"b.docx": "部件已人工核对"})
    assert not [f for f in findings(site, "opaque2.md") if f.withholds]
    assert any(f.code == "attachment.unreadable-acknowledged" for f in findings(site, "opaque2.md"))


# -- 2. PDF: JavaScript actions, XFA forms -----------------------------------------------------

def test_pdf_open_action_javascript_is_unreadable_unless_acknowledged(site):
    attach(site, "js.md", {"form.pdf": F.pdf_js_field()})
    fs = caught(site, "js.md", "form.pdf", ("attachment.unreadable", "JavaScript"))
    assert "JavaScript" in next(f for f in fs if f.code == "attachment.unreadable").message_en
    not_published(site, "form.pdf")
    attach(site, "js2.md", {"form2.pdf": F.pdf_js_field()}, ack={"form2.pdf": "脚本已人工核对，不写入个人信息"})
    assert not [f for f in findings(site, "js2.md") if f.withholds]


def test_pdf_field_script_with_escaped_name_is_unreadable(site):
    attach(site, "aa.md", {"aa.pdf": F.pdf_aa_field()})  # /S /Java#53cript in a field's /AA
    caught(site, "aa.md", "aa.pdf", ("attachment.unreadable", "JavaScript"))


def test_pdf_xfa_form_is_unreadable(site):
    attach(site, "xfa.md", {"xfa.pdf": F.pdf_xfa()})
    caught(site, "xfa.md", "xfa.pdf", ("attachment.unreadable", "XFA"))
    not_published(site, "xfa.pdf")


# -- 3. images: PNG text chunks, EXIF, XMP ------------------------------------------------------

def test_png_text_chunks_are_read(site):
    attach(site, "png.md", {"photo.png": F.png_text()})
    fs = caught(site, "png.md", "photo.png", ("attachment.resident-id", ID_MASKED),
                ("attachment.mobile", MOB_MASKED), ("attachment.marking", "机密★5年"))
    assert any("图像元数据 PNG tEXt Comment" in f.message_zh for f in fs)
    assert any("iTXt Description" in f.message_zh for f in fs if f.code == "attachment.marking")
    not_published(site, "photo.png", F.ID)


def test_png_text_chunk_after_the_image_data_is_read(site):
    attach(site, "late.md", {"late.png": F.png_text(itxt=None, after_idat=True)})
    caught(site, "late.md", "late.png", ("attachment.resident-id", ID_MASKED))


def test_jpeg_windows_xp_tags_exif_and_xmp_are_read(site):
    data = F.jpeg_exif(xp={"XPComment": f"经办人身份证号{F.ID}", "XPTitle": "机密★5年",
                           "XPSubject": f"手机{F.MOB}", "XPKeywords": "内部资料", "XPAuthor": "张科员"})
    attach(site, "xp.md", {"xp.jpg": data})
    fs = caught(site, "xp.md", "xp.jpg", ("attachment.resident-id", "图像元数据 XPComment"),
                ("attachment.mobile", "图像元数据 XPSubject"), ("attachment.marking", "XPTitle"))
    meta = [f for f in fs if f.code == "attachment.metadata"]
    assert meta and "张科员" in meta[0].message_zh and not meta[0].withholds
    assert F.ID not in "".join(f.render() + f.render("en") for f in fs)
    not_published(site, "xp.jpg", F.ID)

    other = F.jpeg_exif(description="ID " + F.ID, artist="张三", user_comment=f"手机 {F.MOB}",
                        xmp=F.xmp_packet("机密★5年"))
    attach(site, "exif.md", {"exif.jpg": other})
    caught(site, "exif.md", "exif.jpg", ("attachment.resident-id", "ImageDescription"),
           ("attachment.mobile", "UserComment"), ("attachment.marking", "XMP"))


def test_pii_allowed_covers_image_metadata(site):
    data = F.jpeg_exif(xp={"XPComment": f"咨询电话 {F.MOB}"})
    attach(site, "ok.md", {"hotline.jpg": data}, allowed=[F.MOB])
    assert not [f for f in findings(site, "ok.md") if f.withholds]
    site.build()
    assert "files/hotline.jpg" in site.output_files()


def test_asset_images_are_read(make_site):
    site = make_site(plugin_options="      assets: ['img/*']\n")
    site.write("img/bad.jpg", F.jpeg_exif(xp={"XPComment": f"身份证号{F.ID}"}), commit=False)
    site.write("img/bad.png", F.png_text(itxt=None), commit=False)
    site.write("img/good.jpg", F.jpeg_exif(xp={"XPTitle": "城区风貌"}, description="城区风貌"),
               commit=False)
    site.approve_inputs()
    site.write("index.md", page("# 首页\n\n公开正文。\n\n![](img/good.jpg)\n"))
    site.sign_all("index.md")
    review = site.review()
    for bad in ("img/bad.jpg", "img/bad.png"):
        r = review.files[bad]
        assert not r.published and r.code == "file.content" and ID_MASKED in r.reason_zh, r
    assert review.files["img/good.jpg"].published
    site.build()
    out = site.output_files()
    assert "img/good.jpg" in out and "img/bad.jpg" not in out and "img/bad.png" not in out


def test_leak_scan_reads_image_metadata_in_the_output(site):
    """An image that reaches the output without the gate (an ungated build) is scanned for
    personal data and markings in its metadata."""
    site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    site.write("pic/x.jpg", F.jpeg_exif(xp={"XPComment": f"经办人身份证号{F.ID} 机密★5年"}), commit=False)
    plain = site.root / "plain.yml"
    plain.write_text("site_name: x\ndocs_dir: content\nsite_dir: plain-site\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(plain)], cwd=site.root,
                   check=True)
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", "plain-site",
                           "--format", "json"], cwd=site.root, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    hits = [h for h in json.loads(proc.stdout) if h["path"] == "pic/x.jpg"]
    kinds = {h["kind"] for h in hits}
    assert {"resident-id", "secrecy-marking"} <= kinds, hits
    assert any("XPComment" in (h["position"] or "") for h in hits), hits


# -- clean files publish -----------------------------------------------------------------------

def test_clean_images_docx_and_pdf_publish(site):
    files = {
        "view.png": F.png_text(comment="Software: GIMP 2.10", itxt="城区风貌"),
        "view.jpg": F.jpeg_exif(xp={"XPTitle": "城区风貌", "XPKeywords": "城建;风貌"},
                                description="城区风貌 2024", artist="宣传科",
                                xmp=F.xmp_packet("城区风貌")),
        "plain.jpg": F.jpeg_exif(),
        "notice.docx": D.docx(["关于道路维修的通知", "施工期间请绕行。"]),
        "guide.pdf": D.pdf(["办事指南"]),
    }
    attach(site, "clean.md", files)
    fs = findings(site, "clean.md")
    assert not [f for f in fs if f.withholds], [f.render() for f in fs]
    site.build()
    out = site.output_files()
    for name in files:
        assert f"files/{name}" in out


# -- round 2 leftovers: a standalone RTF and an SVG drawing ---------------------------

def test_standalone_rtf_is_read_like_an_altchunk(site):
    """An .rtf attachment was unreadable (withheld, acknowledgeable); it is read now, escapes
    undone, as Word shows it."""
    digits = "".join(f"\\'{ord(c):x}" for c in F.ID[:6]) + F.ID[6:]
    data = ("{\\rtf1\\ansi\\ansicpg936 ID " + digits + " \\u26426?\\u23494?\\u9733?5\\u24180?\\par}").encode()
    attach(site, "rtf.md", {"note.rtf": data})
    caught(site, "rtf.md", "note.rtf", ("attachment.resident-id", ID_MASKED),
           ("attachment.marking", "机密★5年"))
    not_published(site, "note.rtf", F.ID)


def test_svg_text_split_over_tspans_is_read(site):
    data = (f'<svg xmlns="http://www.w3.org/2000/svg"><title>表格</title><text x="0" y="10">'
            f'<tspan>{F.ID[:6]}</tspan><tspan>{F.ID[6:]}</tspan></text></svg>').encode()
    attach(site, "svg.md", {"chart.svg": data})
    caught(site, "svg.md", "chart.svg", ("attachment.resident-id", ID_MASKED))
    not_published(site, "chart.svg", F.ID)


def test_clean_rtf_and_svg_publish(site):
    attach(site, "clean-vec.md", {"a.rtf": b"{\\rtf1\\ansi Notice of holidays\\par}",
                                  "b.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><text>2026</text></svg>'})
    assert site.verdict("clean-vec.md").published
    site.build()
    assert {"files/a.rtf", "files/b.svg"} <= set(site.output_files())
