"""What the leak scan may take as public: installed packages and approved inputs (第二条).

A withheld page's fragment found in the output is evidence of a leak only if
nothing public could have put it there.  Besides the published pages and the
approved configuration's strings (``build.verify``), two sources are public:

* the files of the *installed packages* the approved mkdocs.yml names — its
  theme (and the themes it extends), its plugins, its Markdown extensions,
  and MkDocs itself.  Their templates, scripts and style sheets are on every
  page of every site that uses them: that a withheld code page says
  ``function`` and Material's ``bundle.js`` does too proves nothing.  Only
  the files a distribution's installed ``RECORD`` lists, still with the
  SHA-256 it records, count: a file an editor adds to or changes in a
  package directory (a virtual environment kept in the repository) counts
  for nothing, and neither do the sources of an editable install.  Whoever
  controls which packages the build installs controls the gate's own code
  too, so trusting them adds no new way round the gate.
* the *approved build inputs* (``review/inputs.py``) that hold text the
  site shows: ``theme.custom_dir`` files, hooks and the modules beside them,
  files a plugin option names, ``assets:`` files.  Only while the record is
  approved and each file still has the approved digest: an override nobody
  approved never whitelists anything (the build refuses it anyway), and one
  changed after approval counts for nothing.

An output file byte-for-byte equal to a package file (RECORD's SHA-256) is a
copy of public code — Material's ``bundle.*.min.js``, ``lunr/*.js``,
MkDocs' ``search/main.js`` — and is not text-scanned (``PublicFiles``).

Which packages and inputs those are is decided with the review
(``review.inputs.site_packages``, ``public_input_files``), as plain data, so
that the scanning process of ``leakwatch`` can be given it; they are read here.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
from collections.abc import Iterable

from ..review.inputs import _file_digest, record_rows
from ..scanners.text import normalise

# Directories of a package that are never copied or shown as they are: Material's ~14,000
# icon SVGs are inlined into pages by name (path data, no words), compiled bytecode.
_SKIP_DIRS = {".icons", "__pycache__", ".git", "node_modules"}
# A package file larger than this is neither read for the corpus nor indexed.
MAX_PACKAGE_FILE = 16 * 1024 * 1024
_SNIFF = 8192


# -- reading -----------------------------------------------------------------------

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


def _record_digest(data: bytes) -> str:
    """SHA-256 as an installed RECORD writes it (urlsafe base64, no padding)."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


class PublicFiles:
    """The files of installed distributions: their text, and which output files copy one.

    A distribution's files are those its installed ``RECORD`` lists with a
    SHA-256 digest (an editable install lists none of its sources).  A file
    whose bytes no longer have the recorded digest is not one of them.
    """

    def __init__(self, names: Iterable[str]):
        self.names: list[str] = []  # "name version" of each distribution read
        self._files: list[tuple[object, str]] = []  # (path to read, recorded digest)
        self._digests: set[tuple[int, str]] = set()
        for name in names:
            try:
                dist = importlib.metadata.distribution(name)
                rows = record_rows(dist)
            except Exception:  # noqa: BLE001 - not installed, broken metadata: nothing public
                continue
            self.names.append(f"{dist.metadata['Name']} {dist.version}")
            for path, spec, size in rows:
                if size is None or size > MAX_PACKAGE_FILE or not spec or not spec.startswith("sha256="):
                    continue
                value = spec[7:]
                slashed = "/" + path
                if any(f"/{d}/" in slashed for d in _SKIP_DIRS):
                    continue  # Material's ~14,000 icons: no path split for each
                parts = [p for p in path.split("/") if p not in ("", ".")]
                if (not parts or parts[-1].endswith((".pyc", ".pyo"))
                        or any(part.endswith(".dist-info") for part in parts[:-1])):
                    continue
                self._digests.add((size, value))
                self._files.append((dist.locate_file(path), value))
        self._sizes = {size for size, _ in self._digests}

    def texts(self, ascii: bool = True) -> Iterable[str]:
        """Each text file's content in the needle form (what needles are compared with);
        ``ascii=False`` leaves out files that are ASCII only (no needle but an ASCII one
        could be found in them: the caller has none)."""
        return _verified_texts(self._files, _record_digest, ascii)

    def holds(self, data: bytes) -> bool:
        """Whether ``data`` is byte for byte a file of the distributions (RECORD's SHA-256)."""
        if len(data) not in self._sizes:
            return False  # most output files: no hashing at all
        return (len(data), _record_digest(data)) in self._digests


def approved_texts(files: Iterable[tuple[str, str]]) -> Iterable[str]:
    """The text of each approved input that still has its approved digest, in the needle form.

    A file changed since its approval (or unreadable) gives nothing: it whitelists no needle.
    """
    return _verified_texts(files, _file_digest)


def _verified_texts(files: Iterable[tuple[object, str]], digest_of,
                    ascii: bool = True) -> Iterable[str]:
    """The needle form of each text file of (path, digest) that still has that digest
    (``digest_of`` its bytes); unreadable, oversized, binary or changed files give nothing,
    and so do ASCII-only files unless ``ascii``."""
    for path, digest in files:
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_PACKAGE_FILE + 1)
        except OSError:
            continue
        if not ascii and data.isascii():
            continue
        if len(data) > MAX_PACKAGE_FILE or digest_of(data) != digest:
            continue
        text = _text(data)
        if text:
            yield _squashed(text)
