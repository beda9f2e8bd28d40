"""Attachments that got past the gate (red team, issue 14), written by code as ``docfiles.py`` writes
its files: openpyxl, python-docx, python-pptx and PDF objects written out one by one (a stamp
annotation's appearance, a FileAttachment annotation, an incremental update, a Type3 font with
no Unicode mapping, document information and bookmarks, an OCR'd scan).  No opaque binaries.
"""
import io, re, zipfile
ID = "620602198503151239"
IDX = "62060219900101102X"
MOB = "13912345678"

def rezip(data, edits, add=None):
    zin = zipfile.ZipFile(io.BytesIO(data)); out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for i in zin.infolist():
            b = zin.read(i.filename)
            if i.filename in edits: b = edits[i.filename](b)
            z.writestr(i.filename, b)
        for k, v in (add or {}).items(): z.writestr(k, v)
    return out.getvalue()

def xlsx_numfmt():
    """Excel tip 快速输入身份证号: custom format "620602"@ ; cells hold only the rest."""
    import openpyxl
    wb = openpyxl.Workbook(); ws = wb.active; ws.title = "名单"
    ws.append(["姓名", "身份证号", "联系电话"])
    ws.append(["张三", ID[6:], int(MOB[3:])])
    ws["B2"].number_format = '"620602"@'
    ws["C2"].number_format = '"139"00000000'
    b = io.BytesIO(); wb.save(b); return b.getvalue()

def xlsx_formula():
    """ID column built by formula from region code + rest (a system export: no cached value)."""
    import openpyxl
    wb = openpyxl.Workbook(); ws = wb.active
    ws.append(["姓名", "身份证号", "联系电话"])
    ws.append(["张三", '="620602"&"198503151239"', '=CONCATENATE("139","1234","5678")'])
    b = io.BytesIO(); wb.save(b); return b.getvalue()

def docx_watermark(text="机密★5年"):
    """Word 设计→水印→自定义文字水印: VML WordArt in the header."""
    import docx
    d = docx.Document(); d.add_paragraph("关于公布2026年度补助名单的通知")
    hdr = d.sections[0].header; hdr.paragraphs[0].text = ""
    b = io.BytesIO(); d.save(b); data = b.getvalue()
    pict = ('<w:r><w:pict><v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" '
            'adj="10800" path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
            '<v:textpath on="t" fitshape="t"/></v:shapetype>'
            '<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136" '
            'style="position:absolute;margin-left:0;margin-top:0;width:415pt;height:138pt;rotation:315;'
            'z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
            'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
            'fillcolor="silver" stroked="f"><v:fill opacity=".5"/>'
            f'<v:textpath style="font-family:&quot;宋体&quot;;font-size:1pt" string="{text}"/></v:shape></w:pict></w:r>')
    def edit(x):
        s = x.decode()
        if "xmlns:v=" not in s:
            s = s.replace("<w:hdr ", '<w:hdr xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" ', 1)
        s = re.sub(r"<w:p(\s[^>]*)?/>", lambda m: "<w:p>" + pict + "</w:p>", s, 1) if "<w:p/>" in s or re.search(r"<w:p [^>]*/>", s) else s.replace("</w:p>", pict + "</w:p>", 1)
        return s.encode()
    hname = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/header")][0]
    return rezip(data, {hname: edit})

def docx_tooltip():
    import docx
    d = docx.Document(); d.add_paragraph("联系人")
    b = io.BytesIO(); d.save(b); data = b.getvalue()
    run = f'<w:hyperlink w:anchor="x" w:tooltip="经办人张三 手机{MOB} 身份证{ID}"><w:r><w:t>经办人</w:t></w:r></w:hyperlink>'
    return rezip(data, {"word/document.xml": lambda x: x.decode().replace("</w:p>", run + "</w:p>", 1).encode()})

# ---- PDF by hand -------------------------------------------------------------
import zlib

def _ucs2(s):  # for the Adobe-GB1 CID font STSong-Light, UniGB-UCS2-H
    return "<" + s.encode("utf-16-be").hex() + ">"

CJK_FONT = ("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
            "/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
            "/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
            "/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >> "
            "/DW 1000 >>] >>")

class PDF:
    def __init__(self): self.objs = []
    def add(self, body):
        self.objs.append(body if isinstance(body, bytes) else body.encode("latin-1")); return len(self.objs)
    def stream(self, content, extra="", compress=True):
        data = content.encode("latin-1") if isinstance(content, str) else content
        if compress:
            data = zlib.compress(data); extra += " /Filter /FlateDecode"
        return self.add(b"<< /Length %d %s >>\nstream\n" % (len(data), extra.encode()) + data + b"\nendstream")
    def set(self, n, body): self.objs[n-1] = body.encode("latin-1") if isinstance(body, str) else body
    def bytes(self, root, info=None, base=b"", prev=None, first=1):
        out = bytearray(base or b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"); offs = {}
        for i, o in enumerate(self.objs, 1):
            if i < first or o is None: continue
            offs[i] = len(out); out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
        x = len(out)
        if prev is None:
            out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objs) + 1)
            for i in range(1, len(self.objs) + 1): out += b"%010d 00000 n \n" % offs[i]
        else:
            out += b"xref\n0 1\n0000000000 65535 f \n"
            for i in sorted(offs): out += b"%d 1\n%010d 00000 n \n" % (i, offs[i])
        out += b"trailer\n<< /Size %d /Root %d 0 R" % (len(self.objs) + 1, root)
        if info: out += b" /Info %d 0 R" % info
        if prev is not None: out += b" /Prev %d" % prev
        out += b" >>\nstartxref\n%d\n%%%%EOF\n" % x
        return bytes(out)

def _basic(p, content, annots="", res_extra=""):
    f1 = p.add(CJK_FONT); f2 = p.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    c = p.stream(content)
    pages = len(p.objs) + 2
    pg = p.add(f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 595 842] /Contents {c} 0 R "
               f"/Resources << /Font << /F1 {f1} 0 R /F2 {f2} 0 R >> {res_extra} >> {annots} >>")
    p.add(f"<< /Type /Pages /Kids [{pg} 0 R] /Count 1 >>")
    return pg, pages, c, f1, f2

BODY = f"BT /F1 14 Tf 50 780 Td {_ucs2('关于公布补助名单的通知')} Tj ET"

def pdf_stamp(text="机密★5年"):
    """A stamp annotation (Acrobat 图章 / WPS 印章) with its appearance only, no /Contents."""
    p = PDF()
    f1 = p.add(CJK_FONT)
    ap = p.stream(f"1 0 0 RG 3 w 2 2 196 56 re S BT /F1 28 Tf 1 0 0 rg 12 18 Td {_ucs2(text)} Tj ET",
                  f"/Type /XObject /Subtype /Form /BBox [0 0 200 60] /Resources << /Font << /F1 {f1} 0 R >> >>")
    annot = p.add(f"<< /Type /Annot /Subtype /Stamp /Rect [350 700 550 760] /F 4 /Name /Draft /AP << /N {ap} 0 R >> >>")
    pg, pages, *_ = _basic(p, BODY, f"/Annots [{annot} 0 R]")
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    return p.bytes(cat)

def pdf_file_annot():
    """附件 as a comment: a FileAttachment annotation (paper-clip) holding a CSV of IDs."""
    p = PDF()
    csv = f"姓名,身份证号,手机\n张三,{ID},{MOB}\n".encode("utf-8-sig")
    ef = p.stream(csv, "/Type /EmbeddedFile /Subtype /text#2Fcsv")
    fs = p.add(f"<< /Type /Filespec /F (list.csv) /UF (list.csv) /EF << /F {ef} 0 R >> >>")
    annot = p.add(f"<< /Type /Annot /Subtype /FileAttachment /Rect [500 770 520 790] /F 4 /FS {fs} 0 R /Name /PushPin >>")
    pg, pages, *_ = _basic(p, BODY, f"/Annots [{annot} 0 R]")
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    return p.bytes(cat)

def pdf_incremental():
    """Edited in a PDF editor and saved incrementally: revision 1 (with the ID) stays in the file."""
    p = PDF()
    old = BODY + f" BT /F2 12 Tf 50 740 Td (ID {ID} Tel {MOB}) Tj ET"
    pg, pages, c, f1, f2 = _basic(p, old)
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    rev1 = p.bytes(cat)
    x1 = int(rev1.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    n = len(p.objs)
    c2 = p.stream(BODY + " BT /F2 12 Tf 50 740 Td (ID 620602**********39) Tj ET")
    p.set(pg, f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 595 842] /Contents {c2} 0 R "
              f"/Resources << /Font << /F1 {f1} 0 R /F2 {f2} 0 R >> >> >>")
    # write only the changed page object and the new stream
    saved = list(p.objs)
    p.objs = [o if i in (pg, c2) else None for i, o in enumerate(saved, 1)]
    return p.bytes(cat, base=rev1, prev=x1, first=1)

def pdf_type3():
    """Text in a Type3 font without ToUnicode (glyphs /g0../g9, as many 公文/OA exporters write)."""
    p = PDF()
    helv = p.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    procs = {}
    for d in range(10):
        procs[d] = p.stream(f"556 0 d0 BT /H 1000 Tf 0 0 Td ({d}) Tj ET", compress=True)
    diffs = " ".join(f"/g{d}" for d in range(10))
    cp = " ".join(f"/g{d} {procs[d]} 0 R" for d in range(10))
    t3 = p.add(f"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] "
               f"/CharProcs << {cp} >> /Encoding << /Type /Encoding /Differences [1 {diffs}] >> "
               f"/FirstChar 1 /LastChar 10 /Widths [{' '.join(['556']*10)}] "
               f"/Resources << /Font << /H {helv} 0 R >> >> >>")
    codes = "".join("\\%03o" % (int(ch) + 1) for ch in ID)
    content = BODY + f" BT /F1 12 Tf 50 740 Td {_ucs2('身份证号：')} Tj /T3 12 Tf ({codes}) Tj ET"
    pg, pages, *_ = _basic(p, content, res_extra="")
    # add T3 to resources
    s = p.objs[pg-1].decode("latin-1").replace("/F2 ", f"/T3 {t3} 0 R /F2 ", 1)
    p.set(pg, s)
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    return p.bytes(cat)

def pdf_meta(text="机密★5年"):
    """Title (the browser tab's title) and a bookmark carry the marking; body is clean."""
    p = PDF()
    pg, pages, *_ = _basic(p, BODY)
    ol = len(p.objs) + 2
    item = p.add(f"<< /Title {_ucs2(chr(0xfeff) + text + ' ' + '经办人手机' + MOB)} /Parent {ol} 0 R /Dest [{pg} 0 R /Fit] >>")
    p.add(f"<< /Type /Outlines /First {item} 0 R /Last {item} 0 R /Count 1 >>")
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R /Outlines {ol} 0 R /PageMode /UseOutlines "
                f"/ViewerPreferences << /DisplayDocTitle true >> >>")
    info = p.add(f"<< /Title {_ucs2(chr(0xfeff) + text + '文件')} /Subject {_ucs2(chr(0xfeff) + '身份证' + ID)} >>")
    return p.bytes(cat, info)

def pdf_ocr_scan():
    """A scan with an OCR text layer (invisible, render mode 3) that misread the ID."""
    from PIL import Image, ImageDraw, ImageFont
    img = Image.new("L", (900, 120), 255)
    ImageDraw.Draw(img).text((10, 40), f"ID: {ID}   Tel: {MOB}", fill=0, font=ImageFont.load_default(size=40))
    raw = img.tobytes()
    p = PDF()
    im = p.stream(raw, "/Type /XObject /Subtype /Image /Width 900 /Height 120 /ColorSpace /DeviceGray /BitsPerComponent 8")
    ocr = "ID: 62O6O2l985O3l5l239   Tel: l39l2345678"
    content = (f"q 500 0 0 66 40 700 cm /Im1 Do Q BT 3 Tr /F2 12 Tf 45 730 Td ({ocr}) Tj ET")
    pg, pages, *_ = _basic(p, content, res_extra=f"/XObject << /Im1 {im} 0 R >>")
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    return p.bytes(cat)

SECRET = "第三水厂备用取水口位于东河湾南岸暗渠"

def pdf_incremental_secret():
    p = PDF()
    old = BODY + f" BT /F1 12 Tf 50 740 Td {_ucs2('涉及区域：' + SECRET + '以外的全部片区')} Tj ET"
    pg, pages, c, f1, f2 = _basic(p, old)
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    rev1 = p.bytes(cat)
    x1 = int(rev1.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    c2 = p.stream(BODY + f" BT /F1 12 Tf 50 740 Td {_ucs2('涉及区域：部分片区')} Tj ET")
    p.set(pg, f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 595 842] /Contents {c2} 0 R "
              f"/Resources << /Font << /F1 {f1} 0 R /F2 {f2} 0 R >> >> >>")
    saved = list(p.objs)
    p.objs = [o if i in (pg, c2) else None for i, o in enumerate(saved, 1)]
    return p.bytes(cat, base=rev1, prev=x1)

def xlsx_formula_secret():
    import openpyxl
    wb = openpyxl.Workbook(); ws = wb.active
    ws.append(["片区", "说明"])
    ws.append(["东片", '="第三水厂备用取水口"&LOWER("位于东河湾南岸暗渠")'])
    b = io.BytesIO(); wb.save(b); return b.getvalue()

def pdf_stamp_id():
    p = PDF()
    f1 = p.add(CJK_FONT); h = p.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    ap = p.stream(f"1 0 0 RG 3 w 2 2 296 56 re S BT /F1 20 Tf 1 0 0 rg 12 32 Td {_ucs2('机密★5年')} Tj ET "
                  f"BT /H 12 Tf 1 0 0 rg 12 10 Td (ID {ID}) Tj ET",
                  f"/Type /XObject /Subtype /Form /BBox [0 0 300 60] /Resources << /Font << /F1 {f1} 0 R /H {h} 0 R >> >>")
    annot = p.add(f"<< /Type /Annot /Subtype /Stamp /Rect [250 700 550 760] /F 4 /AP << /N {ap} 0 R >> >>")
    pg, pages, *_ = _basic(p, BODY, f"/Annots [{annot} 0 R]")
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    return p.bytes(cat)


def docx_edit(edits: dict, add: dict | None = None, paragraphs=("关于公布补助名单的通知",)) -> bytes:
    """A python-docx document with parts edited as Word, WPS or a script writes them."""
    import docx
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    b = io.BytesIO(); d.save(b)
    return rezip(b.getvalue(), edits, add)


def docx_alt_text_and_docvar():
    """Alt text of a drawing (``wp:docPr/@descr``) and a document variable in settings.xml."""
    drawing = ('<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
               'wordprocessingDrawing"><wp:extent cx="100" cy="100"/>'
               f'<wp:docPr id="1" name="图片 1" descr="经办人身份证 {ID}"/></wp:inline></w:drawing></w:r>')
    var = f'<w:docVars><w:docVar w:name="contact" w:val="联系电话{MOB}"/></w:docVars>'
    return docx_edit({
        "word/document.xml": lambda x: x.decode().replace("</w:p>", drawing + "</w:p>", 1).encode(),
        "word/settings.xml": lambda x: x.decode().replace("</w:settings>", var + "</w:settings>").encode()})


def docx_strict(text=ID):
    """A Strict Open XML document (Word "Strict Open XML 文档"): the purl.oclc.org namespaces."""
    def edit(x):
        s = x.decode().replace("</w:p>", f"<w:r><w:t>身份证号{text}</w:t></w:r></w:p>", 1)
        return s.replace("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                         "http://purl.oclc.org/ooxml/wordprocessingml/main").encode()
    return docx_edit({"word/document.xml": edit})


def docx_smartart(text="内部资料 注意保存"):
    """A SmartArt diagram's data part, reached by a relationship from the body."""
    data = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><dgm:ptLst>'
            f'<dgm:pt modelId="1"><dgm:t><a:bodyPr/><a:p><a:r><a:t>{text[:3]}</a:t></a:r>'
            f'<a:r><a:t>{text[3:]}</a:t></a:r></a:p></dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>')
    rel = ('<Relationship Id="rIdDgm1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships/diagramData" Target="diagrams/data1.xml"/>')
    return docx_edit({"word/_rels/document.xml.rels":
                      lambda x: x.decode().replace("</Relationships>", rel + "</Relationships>").encode()},
                     {"word/diagrams/data1.xml": data})


def pptx_layout(text="机密★1年"):
    """A marking typed into the slide layout (every slide shows it), not into a slide."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    import docfiles
    data = docfiles.pptx(["汇报内容"])
    return rezip(data, {"ppt/slideLayouts/slideLayout6.xml": lambda x: x.replace(
        b"Click to edit Master title style", text.encode())})


def xlsx_formula_refs():
    """A formula of cell references with no cached value: what it shows cannot be known."""
    import openpyxl
    wb = openpyxl.Workbook(); ws = wb.active
    ws.append(["前六位", "后十二位", "身份证号"])
    ws.append(["620602", "198503151239", "=A2&B2"])
    ws.column_dimensions["A"].hidden = True
    b = io.BytesIO(); wb.save(b); return b.getvalue()


def xlsx_clean_formats():
    """Ordinary formats with literal text (amounts in 元, a percentage): nothing to report."""
    import openpyxl
    wb = openpyxl.Workbook(); ws = wb.active
    ws.append(["项目", "金额", "完成率"])
    ws.append(["道路维修", 1200.5, 0.875])
    ws["B2"].number_format = '#,##0.00"元"'
    ws["C2"].number_format = '0.0%'
    ws.append(["合计", "=B2", None])
    ws["B3"].value = 1200.5
    b = io.BytesIO(); wb.save(b); return b.getvalue()


# -- third round: Word altChunk parts, PDF scripts and XFA, image metadata ------------------

def _altchunk(target, content_type, payload):
    rel = ('<Relationship Id="rIdAlt1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           f'relationships/aFChunk" Target="{target}"/></Relationships>')
    ext = target.rsplit(".", 1)[1]
    return docx_edit({
        "word/document.xml": lambda b: b.replace(b"<w:sectPr", b'<w:altChunk r:id="rIdAlt1"/><w:sectPr', 1),
        "word/_rels/document.xml.rels": lambda b: b.replace(b"</Relationships>", rel.encode()),
        "[Content_Types].xml": lambda b: b.replace(
            b"</Types>", f'<Default Extension="{ext}" ContentType="{content_type}"/></Types>'.encode()),
    }, add={f"word/{target}": payload})


def docx_altchunk_rtf():
    """An OA export: the body imported from an RTF chunk; digits as \\'36 escapes, Chinese as \\uN?."""
    def esc(s):
        return "".join(c if ord(c) < 128 else "\\u%d?" % (ord(c) if ord(c) < 32768 else ord(c) - 65536)
                       for c in s)
    digits = "".join("\\'%02x" % ord(c) for c in ID)
    rtf = ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 SimSun;}}\\f0\\fs24 " + esc("补助名单 张三 身份证号：")
           + digits + "\\par " + esc("机密★5年 ") + "\\par " + esc(SECRET) + "\\par }")
    return _altchunk("afchunk.rtf", "application/rtf", rtf.encode("ascii"))


def docx_altchunk_mht():
    """html-docx-js style: an MHT chunk, quoted-printable with a soft line break inside the ID."""
    import quopri
    html = f"<html><body><p>补助名单 张三 身份证号：{ID}</p><p>机密★5年</p><p>{SECRET}</p></body></html>"
    qp = quopri.encodestring(html.encode("utf-8")).decode("ascii").replace(ID, ID[:9] + "=\r\n" + ID[9:])
    mht = ("MIME-Version: 1.0\r\nContent-Type: multipart/related; type=\"text/html\"; boundary=\"--b\"\r\n\r\n"
           "----b\r\nContent-Location: file:///C:/fake/document.html\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n"
           + qp + "\r\n\r\n----b--\r\n")
    return _altchunk("afchunk.mht", "message/rfc822", mht.encode("ascii"))


def docx_opaque_part():
    """A part that is neither XML, nor an image, nor a known embedding: compressed bytes."""
    return docx_edit({}, add={"word/payload.dat": zlib.compress(f"身份证号 {ID}".encode()) * 3})


def pdf_js_field():
    """/OpenAction JavaScript fills a field with "139" + "1234" + "5678" when the file opens."""
    p = PDF()
    h = p.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    w = p.add("<< /Type /Annot /Subtype /Widget /FT /Tx /T (phone) /F 4 /Rect [100 600 400 630] "
              "/DA (/Helv 12 Tf 0 g) >>")
    js = p.add("<< /S /JavaScript /JS (this.getField\\(\"phone\"\\).value = \"139\" + \"1234\" + \"5678\";) >>")
    pg, pages, *_ = _basic(p, BODY, f"/Annots [{w} 0 R]")
    acro = p.add(f"<< /Fields [{w} 0 R] /NeedAppearances true /DA (/Helv 0 Tf 0 g) "
                 f"/DR << /Font << /Helv {h} 0 R >> >> >>")
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R /AcroForm {acro} 0 R /OpenAction {js} 0 R >>")
    return p.bytes(cat)


def pdf_aa_field():
    """A field's /AA keystroke script, the action's name spelled with #xx escapes."""
    p = PDF()
    js = p.add("<< /S /Java#53cript /JS (event.value = \"139\" + \"1234\" + \"5678\";) >>")
    w = p.add(f"<< /Type /Annot /Subtype /Widget /FT /Tx /T (phone) /F 4 /Rect [100 600 400 630] "
              f"/AA << /F {js} 0 R >> >>")
    pg, pages, *_ = _basic(p, BODY, f"/Annots [{w} 0 R]")
    acro = p.add(f"<< /Fields [{w} 0 R] >>")
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R /AcroForm {acro} 0 R >>")
    return p.bytes(cat)


def pdf_xfa():
    """An XFA form (the data packet holds the number; PDFium shows only the fallback page)."""
    p = PDF()
    xdp = p.stream(f'<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data>'
                   f'<form><phone>{MOB}</phone></form></xfa:data></xfa:datasets>', "")
    pg, pages, *_ = _basic(p, BODY)
    acro = p.add(f"<< /Fields [] /XFA [(datasets) {xdp} 0 R] >>")
    cat = p.add(f"<< /Type /Catalog /Pages {pages} 0 R /AcroForm {acro} 0 R >>")
    return p.bytes(cat)


def png_text(comment=f"经办人 张三 身份证号 {ID} 手机 {MOB}", itxt="机密★5年 内部资料", after_idat=False):
    """PNG tEXt and compressed iTXt chunks (``after_idat``: the text chunk after the image data)."""
    from PIL import Image, PngImagePlugin
    im = Image.new("RGB", (40, 20), "white")
    info = PngImagePlugin.PngInfo()
    if itxt:
        info.add_itxt("Description", itxt, zip=True)
    b = io.BytesIO(); im.save(b, "PNG", pnginfo=info); data = b.getvalue()
    if comment:
        import struct
        body = b"Comment\x00" + comment.encode("utf-8")
        chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
        at = data.rindex(b"IEND") - 4 if after_idat else 33  # after IHDR
        data = data[:at] + chunk + data[at:]
    return data


def jpeg_exif(xp=None, description=None, artist=None, user_comment=None, xmp=None):
    """A JPEG with EXIF written by Pillow: the Windows XP* tags (UTF-16LE), ImageDescription,
    Artist, UserComment (UNICODE), and an XMP packet."""
    from PIL import Image
    im = Image.new("RGB", (40, 20), "white")
    ex = Image.Exif()
    tags = {"XPTitle": 0x9C9B, "XPComment": 0x9C9C, "XPAuthor": 0x9C9D, "XPKeywords": 0x9C9E, "XPSubject": 0x9C9F}
    for name, value in (xp or {}).items():
        ex[tags[name]] = value.encode("utf-16-le") + b"\0\0"
    if description:
        ex[0x010E] = description
    if artist:
        ex[0x013B] = artist
    if user_comment:
        ex.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + user_comment.encode("utf-16-be")
    b = io.BytesIO()
    kw = {"xmp": xmp.encode("utf-8")} if xmp else {}
    im.save(b, "JPEG", exif=ex.tobytes(), **kw)
    return b.getvalue()


def xmp_packet(description):
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
            f'<rdf:li xml:lang="x-default">{description}</rdf:li></rdf:Alt></dc:description>'
            '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


# -- third round: formulas a reader's Excel recalculates, conditional formats, CSV formulas ----

def _xw(build) -> bytes:
    """An XlsxWriter workbook: every formula cached as 0, ``<calcPr fullCalcOnLoad="1"/>``."""
    import xlsxwriter
    b = io.BytesIO()
    wb = xlsxwriter.Workbook(b)
    build(wb)
    wb.close()
    return b.getvalue()


def xw_substitute():
    def build(wb):
        ws = wb.add_worksheet("名单")
        ws.write_row(0, 0, ["姓名", "身份证号"])
        ws.write_string(1, 0, "张三")
        ws.write_formula(1, 1, '=SUBSTITUTE("620602A19850315A1239","A","")')
    return _xw(build)


def xw_refs():
    """=A2&B2 with the halves in hidden columns; =名单2!A1&$B$3 across sheets."""
    def build(wb):
        ws = wb.add_worksheet("名单")
        ws.write_row(0, 0, ["前六位", "后十二位", "身份证号", "联系电话"])
        ws.write_string(1, 0, "620602")
        ws.write_string(1, 1, "198503151239")
        ws.write_formula(1, 2, "=A2&B2")
        ws.write_formula(1, 3, "=备用!A1&备用!$B$1")
        ws.set_column(0, 1, None, None, {"hidden": True})
        hid = wb.add_worksheet("备用")
        hid.write_string(0, 0, "139")
        hid.write_number(0, 1, 12345678)
        hid.hide()
    return _xw(build)


def xw_text_fn():
    def build(wb):
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["姓名", "联系电话"])
        ws.write_string(1, 0, "张三")
        ws.write_formula(1, 1, '=TEXT(12345678,"""139""00000000")')
    return _xw(build)


def xw_nested():
    """MID, LEFT, RIGHT, REPLACE, REPT, CHAR, VALUE, CONCAT nested: 620602198503151239."""
    def build(wb):
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["姓名", "证件", "辅助"])
        ws.write_string(1, 0, "张三")
        ws.write_string(1, 2, "xx620602yy")
        ws.write_formula(1, 1, '=CONCATENATE(MID(C2,3,6),LEFT("1985abc",4),RIGHT("zz0315",4),'
                               'REPLACE("1x",2,1,"2"),REPT("",3),CHAR(51),VALUE("9"))')
    return _xw(build)


def xw_secret_subst():
    def build(wb):
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["片区", "说明"])
        ws.write_string(1, 0, "东片")
        ws.write_formula(1, 1, f'=SUBSTITUTE("{SECRET[:9]}(TEMP){SECRET[9:]}","(TEMP)","")')
    return _xw(build)


def xw_lookup():
    """A formula no evaluator here computes (VLOOKUP), cached 0, recalculated on open."""
    def build(wb):
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["编号", "身份证号"])
        ws.write_row(1, 0, [1, "620602"])
        ws.write_formula(2, 1, "=VLOOKUP(1,A2:B2,2,FALSE)&\"198503151239\"")
    return _xw(build)


def xw_clean_sums():
    """An ordinary XlsxWriter report: amounts, SUM, AVERAGE, ROUND, a running total, ROW()."""
    def build(wb):
        ws = wb.add_worksheet("汇总")
        ws.write_row(0, 0, ["序号", "项目", "金额（元）", "累计"])
        for i, (name, amount) in enumerate([("道路维修", 1200.5), ("路灯更换", 800),
                                            ("绿化养护", 2350.25)], start=1):
            ws.write_formula(i, 0, "=ROW()-1")
            ws.write_string(i, 1, name)
            ws.write_number(i, 2, amount)
            ws.write_formula(i, 3, "=C2" if i == 1 else f"=D{i}+C{i + 1}")
        ws.write_string(4, 1, "合计")
        ws.write_formula(4, 2, "=SUM(C2:C4)")
        ws.write_string(5, 1, "平均")
        ws.write_formula(5, 2, "=ROUND(AVERAGE(C2:C4),2)")
        money = wb.add_format({"num_format": '#,##0.00"元"'})
        ws.write_formula(6, 2, "=MAX(C2:C4)-MIN(C2:C4)", money)
    return _xw(build)


def xlsx_cond_sections():
    """[>99999999]0;"139"00000000 shows 13912345678 for 12345678 (the second section)."""
    import openpyxl
    wb = openpyxl.Workbook(); ws = wb.active
    ws.append(["姓名", "联系电话", "身份证号"])
    ws.append(["张三", int(MOB[3:]), 3151239])
    ws["B2"].number_format = '[>99999999]0;"139"00000000'
    ws["C2"].number_format = '[<1000]0;[>=1000]"6206021985"00000000'
    b = io.BytesIO(); wb.save(b); return b.getvalue()


def xlsx_currency_literal():
    import openpyxl
    wb = openpyxl.Workbook(); ws = wb.active
    ws.append(["姓名", "联系电话"])
    ws.append(["张三", int(MOB[3:])])
    ws["B2"].number_format = '[$139-804]00000000'
    b = io.BytesIO(); wb.save(b); return b.getvalue()


def csv_formula():
    return ('姓名,身份证号,联系电话\n张三,="620602"&"198503151239",="139"&"12345678"\n').encode()


def csv_formula_uncomputable():
    return ('姓名,身份证号\n张三,=WEBSERVICE("http://example.invalid/id")\n').encode()


def csv_clean():
    """Dashes for empty cells, a +86 number written as text, negative amounts: no formulas."""
    return ("序号,项目,金额,备注\n1,道路维修,-1200.5,-\n2,路灯更换,+800,--\n"
            "3,咨询电话,0,+86 010 1234\n").encode()
