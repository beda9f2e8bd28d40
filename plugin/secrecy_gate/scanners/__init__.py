"""Pure content scanners: what a page body or an output file contains.

No MkDocs, no git; only ``lexicon.load_lexicon`` and ``LeakScanner.scan_dir``
read files.  Each module names the article it serves:

* ``markings``  — 第六条（一）（二）: secrecy markings, internal-material marker
  lines; 第五条: disclosure notes such as ``（此件公开发布）``;
* ``pii``       — 第六条（二）、第七条: resident ID, bank card and mobile numbers;
* ``redaction`` — 第九条: ``<!-- 密点 -->…<!-- /密点 -->`` secret points;
* ``lexicon``   — 第八条: trigger words for the five sensitive items;
* ``leakscan``  — 第二条: the post-build scan of the whole output directory;
* ``text``      — normalisation (NFKC), line numbers, masking.
"""

from .leakscan import LeakHit, LeakScanner, needles_from_text
from .lexicon import Lexicon, LexiconError, load_lexicon
from .markings import contradicts, find_disclosure_notes, find_markings
from .pii import find_pii
from .redaction import Redaction
from .redaction import apply as apply_redactions
from .text import Hit, mask, normalise

__all__ = [
    "Hit", "LeakHit", "LeakScanner", "Lexicon", "LexiconError", "Redaction",
    "apply_redactions", "contradicts", "find_disclosure_notes", "find_markings", "find_pii",
    "load_lexicon", "mask", "needles_from_text", "normalise",
]
