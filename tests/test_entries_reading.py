"""The fast reading of signature lines must agree with the full YAML parse, or step aside.

``entries.entries_fast`` reads the one-line entries ``secrecy-gate sign``
writes without YAML; for anything else it must answer "not sure" (None) so
the full parse decides.  A fast answer that differs from the full parse
could attribute a signature to the wrong commit, so every row checks both.
"""

import pytest

from secrecy_gate.history import entries as gitaudit

D = "sha256:" + "ab" * 32
LINE = f"{{step: originator, name: 张三, date: 2026-11-27, opinion: 主动公开, digest: {D}}}"


def page(signatures: str, before: str = "", after: str = "") -> bytes:
    return (f"---\ntitle: t\n{before}review:\n  disclosure: 主动公开\n{signatures}{after}---\n\n"
            "正文 digest: step: 不在前置信息中\n").encode()


SURE = [
    ("canonical", page(f"  signatures:\n    - {LINE}\n")),
    ("offset-0 sequence", page(f"  signatures:\n  - {LINE}\n")),
    ("empty list", page("  signatures: []\n")),
    ("double-quoted digest", page(f'  signatures:\n    - {LINE.replace(D, chr(34) + D + chr(34))}\n')),
    ("single-quoted name", page(f"  signatures:\n    - {LINE.replace('张三', repr('张三'))}\n")),
    ("with comment key", page(f"  signatures:\n    - {LINE[:-1]}, comment: 同意}}\n")),
    ("consents", page(f"  consents:\n    - {{agency: a, name: 李四, date: 2026-11-27, digest: {D}}}\n")),
    ("comment lines", page(f"  # 签署\n  signatures:\n    # 第一步\n    - {LINE}\n")),
    ("attachments beside", page(f"  signatures:\n    - {LINE}\n",
                                after=f"  attachments:\n    - {{path: a.pdf, sha256: {'0' * 64}}}\n")),
    ("no entries", page("")),
]

UNSURE = [
    ("block-style entry", page(f"  signatures:\n    - step: originator\n      name: 张三\n      digest: {D}\n")),
    ("flow list", page(f"  signatures: [{LINE}]\n")),
    ("escaped value", page(f"  signatures:\n    - {LINE.replace('张三', chr(34) + 'zh' + chr(92) + 'x61' + chr(34))}\n")),
    ("bool-looking name", page(f"  signatures:\n    - {LINE.replace('张三', 'yes')}\n")),
    ("number-looking name", page(f"  signatures:\n    - {LINE.replace('张三', '1.5')}\n")),
    ("null name", page(f"  signatures:\n    - {LINE.replace('张三', '~')}\n")),
    ("comma in quoted name", page(f"  signatures:\n    - {LINE.replace('张三', chr(34) + '张, 三' + chr(34))}\n")),
    ("anchor", page(f"  signatures:\n    - &a {LINE}\n")),
    ("unknown key", page(f"  signatures:\n    - {LINE[:-1]}, extra: x}}\n")),
    ("duplicate key", page(f"  signatures:\n    - {LINE[:-1]}, name: 王五}}\n")),
    ("entry outside a section", page("", before=f"notes:\n  - {LINE}\n")),
]


@pytest.mark.parametrize("raw", [r for _, r in SURE], ids=[n for n, _ in SURE])
def test_fast_reading_agrees_with_full_parse(raw):
    fast = gitaudit.entries_fast(raw)
    assert fast is not None, "this form is the one sign writes; it should be read fast"
    assert fast == gitaudit.entries_exact(raw)


@pytest.mark.parametrize("raw", [r for _, r in UNSURE], ids=[n for n, _ in UNSURE])
def test_fast_reading_steps_aside_when_unsure(raw):
    assert gitaudit.entries_fast(raw) is None


def test_unparseable_version_still_holds_what_is_written_in_it():
    """A broken version's entries belong to its author, not to whoever fixes the YAML."""
    broken = page(f"  signatures:\n    - {LINE}\n", after="  bad: [unclosed\n")
    assert gitaudit.entries_exact(broken) is None
    assert len(gitaudit.entries_of(broken, exact=False)) == 1


# -- the version key: equal only where the digests are equal -----------------------------

from secrecy_gate.core import frontmatter as _fm  # noqa: E402
from secrecy_gate.core.digest import page_digest  # noqa: E402


def _digest(raw: bytes) -> str:
    doc = _fm.parse(raw)
    return page_digest(doc.meta, doc.body)


SAME_VERSION = [
    ("an entry added", page(""), page(f"  signatures:\n    - {LINE}\n")),
    ("empty list and none", page("  signatures: []\n"), page("")),
    ("consents and comments", page("  # 无\n"), page(f"  consents:\n    - {{agency: a, name: 李四, date: 2026-11-27, digest: {D}}}\n")),
    ("CRLF", page(f"  signatures:\n    - {LINE}\n"), page(f"  signatures:\n    - {LINE}\n").replace(b"\n", b"\r\n")),
]
OTHER_VERSION = [
    ("decision", page(""), page("").replace(b"disclosure: \xe4\xb8\xbb\xe5\x8a\xa8\xe5\x85\xac\xe5\xbc\x80",
                                             "disclosure: 不予公开".encode())),
    ("body", page(""), page("") + "改动的正文\n".encode()),
    ("attachments", page(""), page("", after=f"  attachments:\n    - {{path: a.pdf, sha256: {'0' * 64}}}\n")),
]
UNSURE_KEY = [
    ("block scalar", page("", before="note: |\n  signatures:\n  - x\n")),
    ("section under another key", page("", before=f"document:\n  signatures:\n    - {LINE}\n")),
    ("block-style entry", page(f"  signatures:\n    - step: originator\n      digest: {D}\n")),
]


@pytest.mark.parametrize("a, b", [(a, b) for _, a, b in SAME_VERSION], ids=[n for n, *_ in SAME_VERSION])
def test_versions_with_one_digest_have_one_key(a, b):
    assert _digest(a) == _digest(b)
    assert gitaudit.version_key(a) is not None and gitaudit.version_key(a) == gitaudit.version_key(b)


@pytest.mark.parametrize("a, b", [(a, b) for _, a, b in OTHER_VERSION], ids=[n for n, *_ in OTHER_VERSION])
def test_versions_with_other_digests_have_other_keys(a, b):
    assert _digest(a) != _digest(b)
    assert gitaudit.version_key(a) != gitaudit.version_key(b)


@pytest.mark.parametrize("raw", [r for _, r in UNSURE_KEY], ids=[n for n, _ in UNSURE_KEY])
def test_no_key_where_the_text_could_hide_what_the_digest_sees(raw):
    assert gitaudit.version_key(raw) is None
