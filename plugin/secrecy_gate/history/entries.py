"""What one version of a page holds: its review entries and what its digest covers.

Git history is read blob by blob; for every version of every page the audit
needs two things, fast:

- the signature and consent *entries* it holds (``entries_of``), to find the
  commit that introduced each entry (第十条, 第十八条);
- a *version key* (``version_key``): two versions with the same key have the
  same digest, so a signature that approved one approved the other.  The key is
  the version's text with the entry lines of ``review.signatures`` and
  ``review.consents`` taken out — the digest leaves exactly those out.  Where
  the text is not in the plain form ``secrecy-gate sign`` writes, the key is
  None and the caller computes the real digest instead.

Both readings are "sure or step aside": a fast answer is given only where the
full YAML parse could not answer differently.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import re

import yaml

from ..core import frontmatter
from ..core.digest import page_digest
from ..core.record import entry_key

_ENTRY_KEYS = frozenset({"step", "name", "date", "opinion", "comment", "digest", "agency", "sshsig"})
_ENTRY_LINE = re.compile(r"^( *)- \{([^{}\[\]\\#&*!|>%@`]*)\}[ \t]*$")
_SECTION = re.compile(r"^( +)(signatures|consents):[ \t]*(\[\])?[ \t]*$")
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
_TS_TAG = "tag:yaml.org,2002:timestamp"


def entries_fast(raw: bytes) -> frozenset | None:
    """Entries written in the one-line flow form ``secrecy-gate sign`` writes.

    Returns None ("not sure") for anything else — quotes with escapes,
    anchors, block-style entries, values YAML would not read as plain strings
    or dates, an entry-like line outside ``signatures:``/``consents:`` — and
    the caller then parses the YAML in full.
    """
    return scan(raw, want_key=False)[0]


_FENCE_OPEN = re.compile(rb"\A(?:\xef\xbb\xbf)?---[ \t]*\r?\n")
_FENCE_CLOSE = re.compile(rb"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)


def _front_matter(raw: bytes) -> str | None:
    """Only the front matter of a version, decoded (the body is not needed for its entries:
    reading it would double the cost on a portal's history)."""
    m = _FENCE_OPEN.match(raw)
    close = _FENCE_CLOSE.search(raw, m.end()) if m else None
    if close is None or close.start() - m.end() > frontmatter.MAX_FRONT_MATTER_BYTES:
        return None
    try:
        fm = raw[m.end():close.start()].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in fm else fm


_REVIEW_KEY = re.compile(r"""^(?:review|"review"|'review')[ \t]*:""", re.MULTILINE)


def has_review(raw: bytes) -> bool:
    """Whether this version's front matter has a top-level ``review:`` key: the page is
    under review from the first version that has one (its adoption; 条例第二十六条
    deadlines and the audit's history start there, not at a pre-gate first commit)."""
    fm = _front_matter(raw)
    return fm is not None and _REVIEW_KEY.search(fm) is not None


def scan(raw: bytes, want_key: bool = True) -> tuple[frozenset | None, bytes | None]:
    """(``entries_fast``, ``version_key``) of one version, in one pass over its lines
    (the key only ``want_key``)."""
    if want_key:
        try:
            fm, body, _ = frontmatter.split(frontmatter.decode(raw))
        except frontmatter.FrontMatterError:
            return None, None
    else:
        fm, body = _front_matter(raw), ""
        if fm is None:
            return None, None
    if "\r" in fm:
        fm = fm.replace("\r\n", "\n").replace("\r", "\n")  # YAML reads all three as one break
    key_ok = want_key and not (("|" in fm or ">" in fm) and _BLOCK_SCALAR.search(fm))
    if key_ok and ("signatures" in fm or "consents" in fm):
        key_ok = _sections_under_review(fm)
    # An entry that could match a valid record has a digest, and YAML can only spell
    # that key without the word through an escape.
    none_possible = "digest" not in fm and "\\" not in fm
    if none_possible and not key_ok:
        return frozenset(), None
    found: set | None = set()
    kept: list[str] = []
    section_indent = None
    for line in fm.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank or a whole-line comment: YAML ignores it, and so do both
        m = _SECTION.match(line)
        if m:
            section_indent = None if m.group(3) else len(m.group(1))
            continue  # the section itself is outside what the digest covers
        e = _ENTRY_LINE.match(line)
        if e and section_indent is not None and len(e.group(1)) >= section_indent:
            if found is not None and not none_possible:
                entry = _flow_entry(e.group(2))
                if entry is None:
                    found = None
                else:
                    found.add(entry)
            continue
        if section_indent is not None and len(line) - len(line.lstrip(" ")) > section_indent:
            found = None  # something other than a one-line entry inside the section
            key_ok = False
        section_indent = None
        if found is not None and not none_possible and (
                "digest" in line or "step:" in line or "agency:" in line and "{" in line):
            found = None
        if key_ok:
            kept.append(line.rstrip())
    entries = frozenset() if none_possible and found is not None else (
        frozenset(found) if found is not None else None)
    if not key_ok or entries is None:
        return entries, None
    h = hashlib.blake2b(digest_size=20)
    h.update("\n".join(kept).encode())
    h.update(b"\x00")
    h.update(body.replace("\r\n", "\n").replace("\r", "\n").encode())
    return entries, h.digest()


@functools.lru_cache(maxsize=1 << 16)
def _flow_entry(inner: str) -> tuple | None:
    """``step: x, name: y, …`` → the entry key, or None when YAML might read it otherwise.

    Cached: successive versions of a page repeat the same entry lines.
    """
    entry = {}
    for part in inner.split(", "):
        k, sep, v = part.strip().partition(": ")
        v = v.strip()
        if not sep or k not in _ENTRY_KEYS or k in entry or not v or ": " in v:
            return None
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
            if v[0] in v[1:-1]:
                return None
            entry[k] = v[1:-1]  # a quoted scalar without escapes is that string
            continue
        if v[0] in "\"'" or v[-1] in "\"'":
            return None
        tag = _RESOLVER.resolve(yaml.ScalarNode, v, (True, False))
        if tag == _TS_TAG and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            try:
                _dt.date.fromisoformat(v)
            except ValueError:
                return None
        elif tag != _STR_TAG:
            return None
        entry[k] = v
    return tuple(sorted(entry.items()))


def entries_exact(raw: bytes) -> frozenset | None:
    """Entries by the full strict YAML parse; None when the page does not parse."""
    try:
        review = frontmatter.parse(raw).meta.get("review")
    except frontmatter.FrontMatterError:
        return None
    found: set = set()
    if isinstance(review, dict):
        for key in ("signatures", "consents"):
            items = review.get(key)
            if isinstance(items, list):
                found.update(entry_key(e) for e in items if isinstance(e, dict))
    return frozenset(found)


def entries_of(raw: bytes, exact: bool) -> frozenset:
    if not exact:
        fast = entries_fast(raw)
        if fast is not None:
            return fast
    full = entries_exact(raw)
    if full is None:
        # A version that does not parse still "contains" what is written in it:
        # attribute such entries to its author rather than to whoever fixed the YAML.
        return entries_fast(raw) or frozenset()
    return full



# -- the version key ------------------------------------------------------------

# A ``signatures:``/``consents:`` line, wherever it is.
_ANY_SECTION = re.compile(r"^( *)(signatures|consents)[ \t]*:", re.MULTILINE)
# A block scalar (``|``, ``>``) keeps lines verbatim that would otherwise look like entries.
_BLOCK_SCALAR = re.compile(r"(?:^|[ \t])[|>][-+0-9]*[ \t]*(?:#.*)?$", re.MULTILINE)


_REVIEW_LINE = re.compile(r"^review:[ \t]*(?:#.*)?$", re.MULTILINE)
_TOP_LEVEL = re.compile(r"^[^\s#]", re.MULTILINE)
_FIRST_CHILD = re.compile(r"^( +)[^\s#]", re.MULTILINE)


def _sections_under_review(fm: str) -> bool:
    """Every ``signatures:``/``consents:`` line is a direct child of the top-level ``review:``."""
    sections = list(_ANY_SECTION.finditer(fm))
    if not sections:
        return True
    review = _REVIEW_LINE.search(fm)
    if review is None:
        return False
    end_m = _TOP_LEVEL.search(fm, review.end())
    end = end_m.start() if end_m else len(fm)
    child = _FIRST_CHILD.search(fm, review.end(), end)
    if child is None:
        return False
    indent = len(child.group(1))
    return all(review.end() < m.start() < end and len(m.group(1)) == indent for m in sections)


def version_key(raw: bytes) -> bytes | None:
    """A key that is equal for two versions only if their digests are equal; None when unsure.

    The key hashes the version's text without the ``signatures:``/``consents:``
    sections (and without blank lines and whole-line comments, which YAML
    ignores).  That is sound only where the fast entry reading is sure of the
    version (every entry line sits inside a section and nothing entry-like sits
    elsewhere), those sections are direct children of ``review:``, and no block
    scalar could hold an entry-like line as text.  Otherwise: None.
    """
    return scan(raw)[1]


def digest_of(raw: bytes) -> str | None:
    """The digest of a version by the full parse; None when it does not parse."""
    try:
        doc = frontmatter.parse(raw)
        return page_digest(doc.meta, doc.body)
    except Exception:  # noqa: BLE001 - a version that cannot be read matches no signature
        return None
