"""A page's title as MkDocs shows it: front matter ``title``, else its first heading.

MkDocs (1.5+) takes the title from the rendered page when its *first* element
is an ``<h1>``; a page whose first block is something else gets a title made
from its file name.  Many real sites have no ``title:`` in front matter and rely
on the heading, so the desk's reports (``audit``) must read it the same way, or
a page appears there without the title everyone knows it by.

Only the first block of the body is rendered (Python-Markdown, which MkDocs
uses, with ``attr_list`` so that ``# Title {#id}`` gives "Title"), and the
heading's text is taken by MkDocs' own ``get_heading_text``.
"""

from __future__ import annotations

import html
import re

import markdown
from markdown.treeprocessors import Treeprocessor

try:
    from mkdocs.utils.rendering import get_heading_text
except ImportError:  # an MkDocs before 1.6: the heading's text without markup
    def get_heading_text(el, md) -> str:
        return " ".join("".join(el.itertext()).split())

_FIRST_BLOCK = re.compile(r"\A(?:[ \t]*\r?\n)*((?:[^\n]*\S[^\n]*(?:\n|\Z))+)")


class _FirstHeading(Treeprocessor):
    title: str | None = None

    def run(self, root):
        for el in root:
            if el.tag == "h1":
                self.title = get_heading_text(el, self.md)
            break
        return root


# A first block that is one ``# heading`` line of plain text (no markup, entity or
# attribute list): its text is the title as written, without rendering (a portal's
# catalogue reads thousands of titles).
_PLAIN_H1 = re.compile(r"#[ \t]+([^\n*_`\[\]<>&{}\\!#]*[^\s*_`\[\]<>&{}\\!#])[ \t]*\n?")


def heading_title(body: str) -> str | None:
    """The text of the body's first block if that block is a level-1 heading, else None."""
    m = _FIRST_BLOCK.match(body)
    if m is None:
        return None
    plain = _PLAIN_H1.fullmatch(m.group(1))
    if plain is not None:
        return " ".join(plain.group(1).split())
    md = markdown.Markdown(extensions=["attr_list"])
    found = _FirstHeading(md)
    md.treeprocessors.register(found, "secrecy_gate_title", priority=1)
    try:
        md.convert(m.group(1))
    except Exception:  # noqa: BLE001 - a title is for display: none rather than a failed report
        return None
    # get_heading_text leaves entities as written (MkDocs' templates print them as HTML).
    return html.unescape(found.title) if found.title else None


def page_title(meta: dict, body: str) -> str | None:
    """``title`` from front matter, else the first heading (None: MkDocs uses the file name)."""
    title = meta.get("title") if isinstance(meta, dict) else None
    if title is not None and str(title).strip():
        return str(title)
    return heading_title(body)
