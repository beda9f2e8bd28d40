"""What a listed attachment contains, judged by the page's rules (第二条, 第六条, 第七条, 第九条).

Pure: works on the ``Extract`` of a file (``scanners.documents``) and the
page's record.  A finding names the attachment, the place inside it (page,
sheet and cell, paragraph, tracked deletion, comment), the masked match, the
article and the fix; it is reported on the page that lists the file, and
withholds that page — and so the file, which is copied only as the reviewed
attachment of a published page.

* markings (第六条（一）): the page's own rule — unless the page records its
  declassification;
* unmasked personal information (第六条（二）、第七条), with
  ``review.pii_allowed`` applied per value;
* a number whose digits were lost (an ID typed into a spreadsheet cell as a
  number): cannot be checked, may be personal data — withheld;
* unreadable (第二条 先审核后公开): encrypted, corrupt, unknown format, scanned
  pages — withheld unless the entry carries ``unreadable: <reviewer's reason>``
  (bound to the file by its sha256 and signed with the record);
* metadata (author, last modified by, company, embedded file names): a
  warning — they often name staff or drafts.

第九条 secret points inside attachments are judged with every other copy of
a secret point (``secrets.SecretCopies.in_file``), on the same texts.
"""

from __future__ import annotations

import datetime as _dt

from ..core.findings import Finding, Severity
from ..scanners.documents import Extract
from ..scanners.documents.scan import DocHit, allowed as _allowed, scan

# Placeholder values authoring tools write themselves: no person is named.
NEUTRAL_META = frozenset({"", "anonymous", "unknown", "unspecified", "untitled", "administrator",
                          "admin", "user", "owner", "微软用户", "微软中国", "微软公司", "microsoft",
                          "python-docx", "openpyxl", "reportlab"})

STRIP_FIX_ZH = ("发布前清除文档属性：WPS/Microsoft Office“文件→信息→检查文档→删除个人信息/文档属性”，"
                "LibreOffice“工具→选项→安全→保存时删除个人信息”后另存；PDF 可用 "
                "exiftool -all= 文件.pdf 后 qpdf --linearize 重写（或 qpdf --remove-metadata）；"
                "嵌入文件应删除或单独审查；更新 sha256 后重新签署")
STRIP_FIX_EN = ("strip the document properties before publishing: WPS/Microsoft Office File → Info → "
                "Inspect Document → remove personal information; LibreOffice Tools → Options → "
                "Security → remove personal information on saving; for a PDF `exiftool -all= file.pdf` "
                "then rewrite it with `qpdf --linearize`; remove embedded files or have them "
                "reviewed; then update sha256 and sign again")

_PII_FIX_ZH = ("遮盖附件中的该号码（如 6206**********1234、138****5678）或删除后另存，更新 sha256 并重新签署；"
               "确需公开的，在本页 review.pii_allowed 中列出该值并说明理由")
_PII_FIX_EN = ("mask the number in the attachment (6206**********1234, 138****5678) or remove it, save, "
               "update sha256 and sign again; to publish it on purpose, list the value in this page's "
               "review.pii_allowed with a reason")


def _pii_fix(listed_by: list[str] | None) -> tuple[str, str]:
    if listed_by is None:
        return _PII_FIX_ZH, _PII_FIX_EN
    mask_zh, mask_en = _PII_FIX_ZH.split("；")[0], _PII_FIX_EN.split("; to publish")[0]
    if not listed_by:
        return (mask_zh + "；确需公开的，在列出该文件的页面的 review.attachments 中登记它，"
                "并在该页 review.pii_allowed 中列出该值并说明理由（目前没有页面列出该文件）",
                mask_en + "; to publish it on purpose, list the file in a page's review.attachments "
                "and the value in that page's review.pii_allowed with a reason (no page lists the "
                "file yet)")
    pages = "、".join(listed_by[:5])
    return (mask_zh + f"；确需公开的，在列出该文件的每个页面（{pages}）的 review.pii_allowed 中列出该值并说明理由",
            mask_en + f"; to publish it on purpose, list the value in review.pii_allowed of every "
            f"page that lists the file ({', '.join(listed_by[:5])}) with a reason")


def _where(h_zh: str) -> str:
    return f"（{h_zh}）" if h_zh else ""


def content_findings(page: str, index: int, att: dict, shown: str, extract: Extract | None, *,
                     allowed_values=(), today: _dt.date | None = None,
                     declassified: bool = False, listed_by: list[str] | None = None) -> list[Finding]:
    """Findings on ``page`` for the attachment ``att`` (its entry ``index``), read as ``extract``.

    ``shown``: the file as the record names it.  ``extract`` None: not a document (an image):
    nothing to read.  ``listed_by``: when the finding is on the file itself (``check
    --pre-commit``), the pages that list it — the fix names them, not "this page".
    """
    pii_fix_zh, pii_fix_en = _pii_fix(listed_by)
    if extract is None:
        return []
    fld = f"review.attachments[{index}]"
    out: list[Finding] = []
    ack = att.get("unreadable")
    if extract.unreadable:
        reasons_zh = "；".join(zh for zh, _ in extract.unreadable[:5])
        reasons_en = "; ".join(en for _, en in extract.unreadable[:5])
        if ack:
            out.append(Finding(
                "attachment.unreadable-acknowledged", "第二条", page,
                f"附件 {shown} 的文字无法读取（{reasons_zh}），审查记录确认：{ack}",
                f"the text of the attachment {shown} cannot be read ({reasons_en}); the record "
                f"acknowledges it: {ack}", "", "", fld, severity=Severity.NOTICE))
        else:
            out.append(Finding(
                "attachment.unreadable", "第二条", page,
                f"附件 {shown} 的内容无法读取（{reasons_zh}）：未经检查的内容不得发布，附件与本页均不发布",
                f"the content of the attachment {shown} cannot be read ({reasons_en}): what cannot be "
                "checked is not published; neither the attachment nor the page is",
                "改用可读取文字的版本（未加密、非扫描的 PDF 或 Office 文件），更新 sha256 后重新签署；"
                "确需发布原件的（如扫描件），由审查人逐页人工核对后，在该附件条目中写明 "
                "unreadable: 原因（如“扫描件，已人工核对”），再按第十条重新签署",
                "attach a version whose text can be read (an unencrypted, not scanned PDF or Office "
                "file), update sha256 and sign again; to publish the file as it is (a scan), have the "
                "reviewers check it page by page and write `unreadable: <reason>` in its entry "
                "(e.g. 扫描件，已人工核对), then sign again", fld))
    hits = _allowed(scan(extract, today), allowed_values)
    for h in hits:
        if h.kind in ("secrecy-marking", "internal-marker"):
            if declassified:
                continue
            out.append(_hit(page, fld, shown, h, "attachment.marking",
                            f"附件 {shown}{_where(h.where_zh)}带有密级或内部资料标志“{h.matched}”"
                            f"（{h.detail_zh}）",
                            f"the attachment {shown} ({h.where_en}) carries the marking {h.matched!r} "
                            f"({h.detail_en})",
                            "确属国家秘密或工作秘密的附件不得公开；已解密的，在 review.declassification 中记录；"
                            "或删除该标志后另存，更新 sha256 并重新签署",
                            "a classified attachment must not be published; if declassified, record "
                            "review.declassification; or remove the marking, save, update sha256 and "
                            "sign again"))
        else:
            out.append(_hit(page, fld, shown, h, f"attachment.{h.kind}",
                            f"附件 {shown}{_where(h.where_zh)}含有未遮盖的个人信息 {h.matched}"
                            f"（{h.detail_zh}）",
                            f"the attachment {shown} ({h.where_en}) holds unmasked personal "
                            f"information {h.matched} ({h.detail_en})", pii_fix_zh, pii_fix_en))
    for n in extract.lossy:
        out.append(Finding(
            "attachment.lossy-number", "第六条（二）、第七条", page,
            f"附件 {shown}（{n.where_zh}）中的数字 {n.shown} 以数值格式保存，末几位已丢失（显示为 6.20602E+17 之类）："
            "无法核验是否为身份证号码或银行卡号",
            f"the attachment {shown} ({n.where_en}) stores the number {n.shown} as a floating-point "
            "value whose last digits are lost (shown as 6.20602E+17): it cannot be checked whether it is "
            "an ID or card number",
            "该列若为证件号码或卡号，应以文本格式保存并遮盖（如 6206**********1234），或删除该列；"
            "另存后更新 sha256 并重新签署",
            "if the column holds ID or card numbers, store them as text and mask them "
            "(6206**********1234), or remove the column; save, update sha256 and sign again", fld))
    people = [m for m in extract.meta if m.value.strip().lower() not in NEUTRAL_META]
    if people or extract.embedded:
        what_zh = "、".join([f"{m.name_zh}“{m.value}”" for m in people[:6]]
                           + ([f"嵌入文件 {', '.join(extract.embedded[:5])}"] if extract.embedded else []))
        what_en = ", ".join([f"{m.name_en} {m.value!r}" for m in people[:6]]
                            + ([f"embedded files {', '.join(extract.embedded[:5])}"]
                               if extract.embedded else []))
        out.append(Finding(
            "attachment.metadata", "第六条（二）", page,
            f"附件 {shown} 的文档属性含有 {what_zh}：常会透露起草人员或草稿信息",
            f"the document properties of the attachment {shown} hold {what_en}: they often name "
            "staff or drafts", STRIP_FIX_ZH, STRIP_FIX_EN, fld, severity=Severity.WARNING))
    return out


def _hit(page: str, fld: str, shown: str, h: DocHit, code: str, zh: str, en: str,
         fix_zh: str, fix_en: str) -> Finding:
    return Finding(code, h.article, page, zh, en, fix_zh, fix_en, fld)


def asset_findings(path: str, extract: Extract | None, today: _dt.date | None = None
                   ) -> tuple[str, str] | None:
    """Why a document admitted by an ``assets:`` glob is withheld (reason zh, en), or None.

    An asset has no review record: no allowance, no acknowledgement; metadata is not judged.
    """
    if extract is None:
        return None
    if extract.unreadable:
        zh, en = extract.unreadable[0]
        return f"文档内容无法读取（{zh}）", f"its content cannot be read ({en})"
    hits = scan(extract, today)
    if hits:
        h = hits[0]
        return (f"含有 {h.matched}（{h.detail_zh}，{h.where_zh}，{h.article}）",
                f"holds {h.matched} ({h.detail_en}, {h.where_en}, {h.article})")
    if extract.lossy:
        n = extract.lossy[0]
        return (f"数字 {n.shown} 以数值格式保存、末几位已丢失（{n.where_zh}，第六条（二）、第七条）",
                f"the number {n.shown} is stored as a lossy floating-point value ({n.where_en})")
    return None
