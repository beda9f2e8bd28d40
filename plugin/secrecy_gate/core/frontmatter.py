"""The project's own strict front-matter reader (第二条 先审核后公开).

MkDocs' ``get_data`` turns a YAML error into ``{}`` and accepts
MultiMarkdown headers; the gate never decides with it.  Here every doubt is
an error: non-UTF-8 bytes, no ``---`` fence, YAML that does not parse, YAML
anchors and aliases (alias bombs), duplicate keys, custom tags, or a front
matter that is not a mapping.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import yaml

# A front matter larger than this is not a review record but an attack or an
# accident; refusing it keeps the parser's cost bounded.
MAX_FRONT_MATTER_BYTES = 256 * 1024

_FENCE_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_FENCE_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)


class FrontMatterError(ValueError):
    """Why a page's front matter cannot be trusted; ``code`` names the case."""

    def __init__(self, code: str, zh: str, en: str, line: int | None = None):
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en
        self.line = line


@dataclass(frozen=True)
class Document:
    meta: dict
    body: str
    body_line: int  # 1-based line number where the body starts


def _no_anchor_compose(loader, parent, index):
    if loader.check_event(yaml.AliasEvent):
        event = loader.peek_event()
        raise yaml.MarkedYAMLError(
            None, None, "YAML aliases are not allowed in a review record", event.start_mark
        )
    event = loader.peek_event()
    if getattr(event, "anchor", None):
        raise yaml.MarkedYAMLError(
            None, None, "YAML anchors are not allowed in a review record", event.start_mark
        )
    return yaml.composer.Composer.compose_node(loader, parent, index)


def _construct_mapping(loader, node, deep=False):
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a mapping, found {node.id}", node.start_mark
        )
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise yaml.constructor.ConstructorError(
                None, None, "YAML merge keys (<<) are not allowed", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "unhashable mapping key", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = True
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _refused_tag(tag: str):
    def construct(loader, node):
        raise yaml.constructor.ConstructorError(
            None, None, f"the YAML type {tag} is not accepted in front matter (it digests like "
            "another value: write plain text, lists or mappings)", node.start_mark)
    return construct


# Values whose digest form is that of another value (bytes as hex, an ordered map as a list
# of pairs, a set as a mapping): refused, so that one digest means one front matter.
_REFUSED_TAGS = ("tag:yaml.org,2002:binary", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs",
                 "tag:yaml.org,2002:set")


class _StrictLoader(yaml.SafeLoader):
    """Pure-Python loader that refuses anchors, aliases and duplicate keys."""

    compose_node = _no_anchor_compose
    construct_mapping = _construct_mapping


_FastBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastLoader(_FastBase):  # type: ignore[misc,valid-type]
    """libyaml loader for texts that cannot contain anchors or aliases."""

    construct_mapping = _construct_mapping


for _loader in (_StrictLoader, _FastLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    for _tag in _REFUSED_TAGS:
        _loader.add_constructor(_tag, _refused_tag(_tag.rsplit(":", 1)[-1]))


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_SEQ_TAG = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG


class _Unusual(Exception):
    """The node tree needs PyYAML's own constructor (or its error message)."""


def _walk(loader, node):
    """Node tree → Python values for the common case, without PyYAML's
    generic constructor machinery: plain mappings with string keys,
    sequences and scalars.  Anything else — a duplicate or non-string key,
    a merge key, an explicit tag — raises ``_Unusual`` and the caller parses
    again the slow way, which either builds the same value or raises the
    error a user should see."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR_TAG:
            return node.value
        return loader.construct_object(node)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP_TAG:
            raise _Unusual
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag != _STR_TAG or not isinstance(key_node, yaml.ScalarNode):
                raise _Unusual
            key = key_node.value
            if key in out:
                raise _Unusual
            out[key] = _walk(loader, value_node)
        return out
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
        return [_walk(loader, item) for item in node.value]
    raise _Unusual


def _load(text: str, loader_cls):
    if loader_cls is _FastLoader:
        loader = loader_cls(text)
        try:
            node = loader.get_single_node()
            return None if node is None else _walk(loader, node)
        except _Unusual:
            pass
        finally:
            loader.dispose()
    return yaml.load(text, Loader=loader_cls)  # noqa: S506 - strict safe loader


def load_yaml(text: str, what_zh: str = "YAML", what_en: str = "YAML"):
    """Parse YAML strictly; raises FrontMatterError.

    Anchors (``&``) and aliases (``*``) can only be written with those two
    characters, so a text without them is safe for the fast C parser.
    """
    loader = _StrictLoader if ("&" in text or "*" in text) else _FastLoader
    try:
        return _load(text, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise FrontMatterError(
            "front-matter.yaml",
            f"{what_zh} 无法解析（第{line}行）：{problem}",
            f"{what_en} does not parse (line {line}): {problem}",
            line=line,
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise FrontMatterError(
            "front-matter.yaml", f"{what_zh} 无法解析：{exc}", f"{what_en} does not parse: {exc}"
        ) from None


def decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrontMatterError(
            "front-matter.encoding",
            f"文件不是合法的 UTF-8 编码（第 {exc.start} 字节）",
            f"the file is not valid UTF-8 (byte {exc.start})",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise FrontMatterError(
            "front-matter.encoding", "文件含有 NUL 字符", "the file contains NUL characters"
        )
    return text


def split(text: str) -> tuple[str, str, int]:
    """Return (front matter text, body, body start line) or raise."""
    m = _FENCE_OPEN.match(text)
    if not m:
        raise FrontMatterError(
            "front-matter.missing",
            "页面没有以 --- 开头的 YAML 前置信息（不接受 MultiMarkdown 式页头）",
            "the page has no YAML front matter starting with --- "
            "(MultiMarkdown-style headers are not accepted)",
            line=1,
        )
    close = _FENCE_CLOSE.search(text, m.end())
    if not close:
        raise FrontMatterError(
            "front-matter.unclosed",
            "前置信息没有以 --- 结束",
            "the front matter is not closed by a --- line",
            line=1,
        )
    fm = text[m.end() : close.start()]
    if len(fm.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise FrontMatterError(
            "front-matter.too-large",
            f"前置信息超过 {MAX_FRONT_MATTER_BYTES // 1024} KiB",
            f"the front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB",
        )
    end = close.end()
    if text.startswith("\r\n", end):
        end += 2
    elif text.startswith("\n", end):
        end += 1
    body_line = text.count("\n", 0, end) + 1
    return fm, text[end:], body_line


def parse(raw: bytes | str) -> Document:
    """Parse a Markdown page; raises FrontMatterError on any doubt."""
    text = decode(raw) if isinstance(raw, bytes) else raw
    fm, body, body_line = split(text)
    meta = load_yaml(fm, "前置信息", "the front matter")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError(
            "front-matter.not-mapping",
            "前置信息必须是键值映射",
            "the front matter must be a mapping of keys to values",
        )
    key = _non_string_key(meta)
    if key is not None:
        # At every level: the digest writes keys as text, so {1: a, '1': b} would be two
        # front matters with one digest, the value of one covered by no signature.
        raise FrontMatterError(
            "front-matter.key",
            f"前置信息的键 {key!r} 不是字符串（请加引号，如 '1':）",
            f"front matter key {key!r} is not a string (quote it, e.g. '1':)",
        )
    return Document(meta=meta, body=body, body_line=body_line)


def _non_string_key(value):
    """The first mapping key anywhere in ``value`` that is not a string, or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if not isinstance(k, str):
                    return k
                stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)
    return None


def to_jsonable(value):
    """YAML value → JSON-compatible value (dates as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value
