"""Secret points (密点) and their removal before rendering (第九条).

第九条: 拟公开的政府信息中含有部分涉密内容的，应当按照有关规定删除密点，进行非密化
处理 … 其余部分删除密点后公开.  An editor marks each secret point in the
source::

    <!-- 密点 -->secret text<!-- /密点 -->

inline or spanning lines; the ASCII alias is ``<!-- redact -->…<!-- /redact -->``
(any case, any spaces inside the comment, 密點 accepted).  ``apply`` replaces
each marked span, markers included, with a placeholder (default ``■■■``).

It fails closed: a marker is a marker wherever it stands — inside a fenced
code block or an inline code span too — so secret text is never left behind
because of where it was written.  Unbalanced markers are reported and still
redacted as far as they can be: an unclosed marker removes everything up to
the end of the body; a nested one extends the outer span; a stray closing
marker is removed.  Text that looks like a marker but is not one exactly
(``<!-- 密点 --``, ``&lt;!-- 密点 --&gt;``, ``<!- redact ->``, full-width
``＜！－－ 密点 －－＞``) is reported as a problem, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import line_number, normalise

__all__ = ["Redaction", "apply", "DEFAULT_PLACEHOLDER"]

DEFAULT_PLACEHOLDER = "■■■"

_KEYWORD = r"(?:密\s*[点點]|[Rr][Ee][Dd][Aa][Cc][Tt])"
_MARKER = re.compile(rf"<!--\s*(?P<close>/)?\s*{_KEYWORD}\s*-->")
# After the exact markers are taken out: anything still pairing a keyword
# with comment-like punctuation on the same line is a malformed marker.
_LOOSE_KEYWORD = re.compile(r"密\s*[点點]|(?i:redact)")
_COMMENTISH = re.compile(r"<\s*!|&lt;|&#0*60;|&#x0*3c;|<\s*/?\s*(?:密|(?i:redact))|-\s*-\s*>|-\s*-\s*&gt;|--",
                         re.IGNORECASE)
_NEAR = 16


@dataclass
class Redaction:
    """The body with its secret points replaced (第九条).

    ``text``: the body, each marked span (markers included) replaced by the
    placeholder; ``count``: spans replaced; ``secrets``: the text of each span
    (markers removed, stripped), for the post-build leak scan; ``problems``:
    ``(line, message_zh, message_en)`` for unbalanced, nested, unclosed,
    stray or malformed markers — any problem must withhold the page.
    """

    text: str
    count: int = 0
    secrets: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def _malformed(body: str, exact: list[re.Match]) -> list[tuple[int, str, str]]:
    """Marker-like text that is not an exact marker (reported, never ignored)."""
    problems = []
    # Blank out the exact markers, keeping offsets (and line numbers) intact.
    chars = list(body)
    for m in exact:
        for i in range(m.start(), m.end()):
            if chars[i] != "\n":
                chars[i] = " "
    rest = normalise("".join(chars))
    last_line = 0
    for km in _LOOSE_KEYWORD.finditer(rest):
        lo, hi = max(0, km.start() - _NEAR), km.end() + _NEAR
        if not _COMMENTISH.search(rest, lo, hi):
            continue
        lineno = line_number(rest, km.start())
        if lineno == last_line:
            continue
        last_line = lineno
        word = km.group()
        # The message names the keyword only: the text around it may be the secret.
        problems.append((
            lineno,
            f"疑似密点标记但格式不正确（“{word}”旁有注释符号）；应写作 <!-- 密点 -->…<!-- /密点 -->",
            f"text that looks like a secret-point marker but is not exact (comment-like "
            f"punctuation next to {word!r}); write <!-- 密点 -->…<!-- /密点 -->",
        ))
    return problems


def apply(body: str, placeholder: str = DEFAULT_PLACEHOLDER) -> Redaction:
    """Replace every marked secret point by ``placeholder`` (第九条)."""
    markers = list(_MARKER.finditer(body))
    problems: list[tuple[int, str, str]] = _malformed(body, markers)
    out: list[str] = []
    secrets: list[str] = []
    count = 0
    pos = 0
    depth = 0
    span_start = 0
    inner_start = 0
    inner_parts: list[str] = []
    for m in markers:
        line = line_number(body, m.start())
        if m.group("close"):
            if depth == 0:
                problems.append((line, "多余的密点结束标记（没有对应的开始标记）",
                                 "closing secret-point marker without an opening marker"))
                out.append(body[pos:m.start()])
                out.append(placeholder)
                pos = m.end()
                continue
            inner_parts.append(body[inner_start:m.start()])
            inner_start = m.end()
            depth -= 1
            if depth == 0:
                out.append(body[pos:span_start])
                out.append(placeholder)
                pos = m.end()
                count += 1
                secrets.append("".join(inner_parts).strip())
                inner_parts = []
        else:
            if depth == 0:
                span_start = m.start()
                inner_start = m.end()
            else:
                problems.append((line, "密点标记嵌套：上一个密点尚未结束",
                                 "nested secret-point marker: the previous one is not closed"))
                inner_parts.append(body[inner_start:m.start()])
                inner_start = m.end()
            depth += 1
    if depth:
        problems.append((line_number(body, span_start),
                         "密点标记没有结束：其后全部内容已按密点删除",
                         "secret-point marker never closed: everything after it was redacted"))
        inner_parts.append(body[inner_start:])
        out.append(body[pos:span_start])
        out.append(placeholder)
        pos = len(body)
        count += 1
        secrets.append("".join(inner_parts).strip())
    out.append(body[pos:])
    problems.sort(key=lambda p: p[0])
    return Redaction("".join(out), count, [s for s in secrets if s], problems)
