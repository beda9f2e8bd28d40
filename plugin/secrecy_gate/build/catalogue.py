"""The disclosure catalogue (政府信息公开目录) and each document's metadata table.

Built only from the gate's verdicts: a ``DocumentEntry`` is made for a
*published* page that carries ``document`` metadata, so a withheld page can
leave no title, 索引号, 文号 or link in either.  Values were reviewed with the
page (the digest covers the front matter; rules scan ``document.*`` for
markings and personal data) and are HTML-escaped here; the HTML is added
after Markdown rendering, so no Markdown extension, include or macro ever
reads them.  No MkDocs import: the plugin wires these functions to events.
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from dataclasses import dataclass

from ..core.titles import heading_title
from ..review.gate import PageResult, SiteReview

MISSING = "—"

LABELS = {
    "zh": {"index_no": "索引号", "title": "标题", "doc_no": "文号", "issuer": "发布机构",
           "written": "成文日期", "published": "发布日期", "disclosure": "公开属性",
           "heading": "政府信息公开目录", "count": "共 {n} 条", "empty": "暂无已发布的政府信息。"},
    "en": {"index_no": "Index No.", "title": "Title", "doc_no": "Document No.", "issuer": "Issuer",
           "written": "Date written", "published": "Date published", "disclosure": "Disclosure",
           "heading": "Government information disclosure catalogue", "count": "{n} documents",
           "empty": "No documents have been published yet."},
}
# 第五条 disclosure values a published page can have (依申请公开 only with include_on_request).
DISCLOSURE_LABELS = {
    "zh": {"主动公开": "主动公开", "删减后公开": "删减后公开", "依申请公开": "依申请公开"},
    "en": {"主动公开": "Proactive disclosure", "删减后公开": "Disclosed with redactions",
           "依申请公开": "Disclosed on request"},
}
# The metadata table, two label/value pairs per row, as government portals show it.
TABLE_ROWS = (("index_no", "issuer"), ("doc_no", "written"), ("published", "disclosure"))
CATALOGUE_COLUMNS = ("index_no", "title", "doc_no", "issuer", "written", "published", "disclosure")


@dataclass(frozen=True)
class DocumentEntry:
    """What the catalogue and the metadata table show of one published document."""

    path: str
    title: str
    index_no: str | None
    issuer: str | None
    doc_no: str | None
    written: str | None
    published: str | None
    disclosure: str

    def cell(self, column: str, lang: str) -> str:
        """The unescaped text of one column ("—" when the record leaves it empty)."""
        if column == "disclosure":
            return DISCLOSURE_LABELS[lang].get(self.disclosure, self.disclosure)
        value = getattr(self, column)
        return MISSING if value is None else value


def _text(value) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, (_dt.date, _dt.datetime)) else str(value)




def _title(page: PageResult) -> str:
    title = _text(page.document.meta.get("title"))
    if title:
        return title
    # As MkDocs titles the page: its first block if that is a heading (not a `#` line
    # further down, such as a comment in a code block).
    return heading_title(page.publish_body or "") or page.path


def leader_approval_date(page: PageResult) -> str | None:
    """第十条: the date of the leader's 审查批准, the default 发布日期."""
    for sig in page.record.signatures if page.record else ():
        if sig.step == "leader":
            return sig.date.isoformat()
    return None


def document_entry(page: PageResult) -> DocumentEntry | None:
    """The catalogue entry of a published page with ``document`` metadata, else None."""
    if not page.published or page.document is None or page.record is None:
        return None
    doc = page.document.meta.get("document")
    if not isinstance(doc, dict):
        return None
    return DocumentEntry(
        path=page.path,
        title=_title(page),
        index_no=_text(doc.get("index_no")),
        issuer=_text(doc.get("issuer")),
        doc_no=_text(doc.get("doc_no")),
        written=_text(doc.get("written")),
        published=_text(doc.get("published")) or leader_approval_date(page),
        disclosure=page.record.disclosure,
    )


def documents(review: SiteReview) -> dict[str, DocumentEntry]:
    """Every published document of the review, by page path."""
    entries = (document_entry(p) for p in review.published())
    return {e.path: e for e in entries if e is not None}


def newest_first(entries) -> list[DocumentEntry]:
    """By 发布日期, newest first (undated last); on one day the higher 索引号 first."""
    return sorted(entries, key=lambda e: (e.published or "", e.index_no or "", e.path), reverse=True)


def metadata_table(entry: DocumentEntry, lang: str = "zh") -> str:
    """The HTML table shown above a published document's content."""
    labels = LABELS[lang]
    rows = []
    for pair in TABLE_ROWS:
        cells = "".join(f'<th scope="row">{labels[c]}</th><td>{html.escape(entry.cell(c, lang))}</td>'
                        for c in pair)
        rows.append(f"<tr>{cells}</tr>")
    return ('<div class="sg-document-meta">\n<table>\n<tbody>\n' + "\n".join(rows)
            + "\n</tbody>\n</table>\n</div>\n")


SORTED_BY = ' aria-sort="descending"'
# Progressive enhancement: the table is already sorted newest first without it.
SORT_SCRIPT = """<script>
(function () {
  var tables = document.querySelectorAll(".sg-catalogue table:not([data-sg-sortable])");
  Array.prototype.forEach.call(tables, function (table) {
    table.setAttribute("data-sg-sortable", "");
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.style.cursor = "pointer";
      th.tabIndex = 0;
      function sort() {
        var desc = th.getAttribute("aria-sort") !== "descending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent, y = b.cells[col].textContent;
          return (desc ? -1 : 1) * x.localeCompare(y, "zh", {numeric: true});
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
})();
</script>
"""


HEADING_ID = "sg-catalogue"


def catalogue_markdown(lang: str = "zh") -> str:
    """The generated page's source: its title only; ``catalogue_html`` is its content."""
    return f"---\ntitle: {LABELS[lang]['heading']}\n---\n"


def toc_token(lang: str = "zh") -> dict:
    """The catalogue page's one table-of-contents entry (Python-Markdown's token form)."""
    return {"level": 1, "id": HEADING_ID, "name": LABELS[lang]["heading"], "children": []}


def catalogue_html(rows: list[tuple[DocumentEntry, str]], lang: str = "zh") -> str:
    """The catalogue page's content: ``rows`` are (entry, URL relative to the catalogue page)."""
    labels = LABELS[lang]
    heading = f'<h1 id="{HEADING_ID}">{labels["heading"]}</h1>\n'
    if not rows:
        return heading + f'<div class="sg-catalogue">\n<p>{labels["empty"]}</p>\n</div>\n'
    href = {e.path: url for e, url in rows}
    head = "".join(f'<th scope="col"{SORTED_BY if c == "published" else ""}>{labels[c]}</th>'
                   for c in CATALOGUE_COLUMNS)
    body = []
    for entry in newest_first(e for e, _ in rows):
        cells = []
        for c in CATALOGUE_COLUMNS:
            text = html.escape(entry.cell(c, lang))
            if c == "title":
                text = f'<a href="{html.escape(href[entry.path])}">{text}</a>'
            cells.append(f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (heading + f'<div class="sg-catalogue">\n<p>{labels["count"].format(n=len(rows))}</p>\n'
            f"<table>\n<thead>\n<tr>{head}</tr>\n</thead>\n<tbody>\n" + "\n".join(body)
            + "\n</tbody>\n</table>\n</div>\n" + SORT_SCRIPT)


def column_headings() -> str:
    """The catalogue's heading row in each language, as the page prints it.

    The leak scan counts this text as published: a withheld page that holds
    the same headings (a copied catalogue table) proves nothing by them.
    """
    return "\n".join(" ".join(labels[c] for c in CATALOGUE_COLUMNS) for labels in LABELS.values())
