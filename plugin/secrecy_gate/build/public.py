"""What the leak scan may take as public: installed packages and approved inputs (第二条).

A withheld page's fragment found in the output is evidence of a leak only if
nothing public could have put it there.  Besides the published pages and the
approved configuration's strings (``build.verify``), two sources are public:

* the files of the *installed packages* the approved mkdocs.yml names — its
  theme (and the themes it extends), its plugins, its Markdown extensions,
  and MkDocs itself.  Their templates, scripts and style sheets are on every
  page of every site that uses them: that a withheld code page says
  ``function`` and Material's ``bundle.js`` does too proves nothing.  A
  package directory inside the site's own directory (a theme kept in the
  repository) does not count: an editor could write into it.  Whoever
  controls which packages the build installs controls the gate's own code
  too, so trusting them adds no new way round the gate.
* the *approved build inputs* (``review/inputs.py``) that hold text the
  site shows: ``theme.custom_dir`` files, hooks and the modules beside them,
  files a plugin option names, ``assets:`` files.  Only while the record is
  approved and each file still has the approved digest: an override nobody
  approved never whitelists anything (the build refuses it anyway), and one
  changed after approval counts for nothing.

An output file byte-for-byte equal to a package file (same SHA-256) is a
copy of public code — Material's ``bundle.*.min.js``, ``lunr/*.js``,
MkDocs' ``search/main.js`` — and is not text-scanned (``PublicFiles``).

Which packages and inputs those are is decided with the review
(``review.inputs.package_dirs``, ``public_input_files``), as plain data, so
that the scanning process of ``leakwatch`` can be given it; they are read here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from ..review.inputs import _file_digest
from ..scanners.text import normalise

# Directories of a package that are never copied or shown as they are: Material's ~14,000
# icon SVGs are inlined into pages by name (path data, no words), compiled bytecode.
_SKIP_DIRS = {".icons", "__pycache__", ".git", "node_modules"}
# A package file larger than this is neither read for the corpus nor indexed.
MAX_PACKAGE_FILE = 16 * 1024 * 1024
_SNIFF = 8192

# -- reading -----------------------------------------------------------------------

def _walk(directory: str) -> Iterable[tuple[str, int]]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            if st.st_size <= MAX_PACKAGE_FILE:
                yield path, st.st_size


def _text(data: bytes) -> str | None:
    if b"\x00" in data[:_SNIFF]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _squashed(text: str) -> str:
    """The needle form (normalised, no whitespace) of a package file's text."""
    return "".join(normalise(text).split())


class PublicFiles:
    """The files of the installed packages: their text, and which output files copy one."""

    def __init__(self, dirs: Iterable[str]):
        self.dirs = list(dirs)
        self._by_size: dict[int, list[str]] = {}
        for d in self.dirs:
            for path, size in _walk(d):
                self._by_size.setdefault(size, []).append(path)
        self._digests: set[bytes] = set()
        self._hashed: set[int] = set()

    def texts(self) -> Iterable[str]:
        """Each text file's content in the needle form (what needles are compared with)."""
        for paths in self._by_size.values():
            for path in paths:
                try:
                    with open(path, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                text = _text(data)
                if text:
                    yield _squashed(text)

    def holds(self, data: bytes) -> bool:
        """Whether ``data`` is byte for byte one of the packages' files (SHA-256)."""
        size = len(data)
        paths = self._by_size.get(size)
        if not paths:
            return False
        if size not in self._hashed:
            self._hashed.add(size)
            for path in paths:
                try:
                    with open(path, "rb") as fh:
                        self._digests.add(hashlib.sha256(fh.read()).digest())
                except OSError:
                    continue
        return hashlib.sha256(data).digest() in self._digests


def approved_texts(files: Iterable[tuple[str, str]]) -> Iterable[str]:
    """The text of each approved input that still has its approved digest, in the needle form.

    A file changed since its approval (or unreadable) gives nothing: it whitelists no needle.
    """
    for path, digest in files:
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_PACKAGE_FILE + 1)
        except OSError:
            continue
        if len(data) > MAX_PACKAGE_FILE or _file_digest(data) != digest:
            continue
        text = _text(data)
        if text:
            yield _squashed(text)
