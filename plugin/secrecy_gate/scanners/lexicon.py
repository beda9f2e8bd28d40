"""Trigger words for the five 第八条 items — hints, not verdicts.

第八条: 在拟发布信息审核过程中发现以下情况的，也应当进行保密审核 — （一）未发布的
经济数据，（二）重大历史事件和政治运动的表述，（三）尚未处理完结的司法、执法、
信访、行政复议案件，（四）文件规定应慎重处理的信息，（五）可能违反保密规定的其他
情形.  The record answers each item in ``review.sensitive``; when the body
mentions a trigger word of an item the record answers ``false`` (or leaves
out), ``Lexicon.hints`` says so, so a reviewer can look again.

The lexicon lives in ``reviews/lexicon.yml`` (strict YAML, see
``secrecy_gate.core.frontmatter.load_yaml``)::

    pending_cases:
      words: [信访, 行政复议, 立案]
      except: [信访局, 行政复议法]     # ordinary phrases containing a word

``DEFAULT_LEXICON`` is the same list, for a site without its own file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.frontmatter import FrontMatterError, load_yaml
from ..core.schema import SENSITIVE_ITEMS
from .text import SENSITIVE_HINT, Hit, NormalisedText, as_normalised, normalise

__all__ = ["Lexicon", "LexiconError", "load_lexicon", "DEFAULT_LEXICON", "ITEM_ARTICLES"]

ITEM_ARTICLES = {
    "economic_data": "第八条（一）",
    "historical_events": "第八条（二）",
    "pending_cases": "第八条（三）",
    "cautious_matters": "第八条（四）",
    "other_risks": "第八条（五）",
}

DEFAULT_LEXICON: dict[str, dict[str, list[str]]] = {
    "economic_data": {
        "words": ["未公开的统计数据", "未发布的统计数据", "尚未发布的数据", "尚未公布的数据",
                  "未经公布", "初步核算", "初步测算", "内部测算", "测算数据", "快报数据", "统计快报",
                  "内部统计", "预计完成数"],
        "except": [],
    },
    "historical_events": {
        "words": ["文化大革命", "文革", "反右派斗争", "反右运动", "大跃进", "人民公社化运动",
                  "三年困难时期", "三年自然灾害", "四清运动", "三反五反", "镇压反革命",
                  "上山下乡运动", "历史遗留问题", "平反"],
        "except": [],
    },
    "pending_cases": {
        "words": ["信访", "上访", "行政复议", "行政诉讼", "立案", "尚未审结", "未审结", "尚未结案",
                  "正在审理", "审理中", "正在调查", "侦查", "涉嫌", "犯罪嫌疑人", "复议申请", "申诉",
                  "仲裁"],
        "except": ["信访局", "信访办", "信访工作条例", "信访条例", "信访接待中心", "行政复议法",
                   "行政复议法实施条例", "行政诉讼法"],
    },
    "cautious_matters": {
        "words": ["慎重处理", "审慎处理", "谨慎处理", "不宜公开", "不宜公布", "不宜对外", "暂不公开",
                  "暂缓公开", "暂不对外", "内部掌握", "对外口径", "统一口径", "敏感"],
        "except": ["过敏感", "敏感肌"],
    },
    "other_risks": {
        "words": ["涉密", "密件", "军事设施", "军事禁区", "军事管理区", "经纬度", "地理坐标",
                  "地下管线", "人防工程", "要害部位", "安保方案", "警卫"],
        "except": [],
    },
}


class LexiconError(ValueError):
    """The lexicon file is not what the gate can trust; ``zh``/``en`` say why."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


def _alternation(words: list[str]) -> re.Pattern | None:
    words = sorted({normalise(w) for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words)) if words else None


@dataclass(frozen=True)
class _Item:
    key: str
    words: tuple[str, ...]
    excepts: tuple[str, ...]
    word_rx: re.Pattern | None = field(compare=False, default=None)
    except_rx: re.Pattern | None = field(compare=False, default=None)


class Lexicon:
    """Trigger words per 第八条 item (keys of ``schema.SENSITIVE_ITEMS``)."""

    def __init__(self, items: Mapping[str, Mapping[str, list[str]]]):
        self.items: dict[str, _Item] = {}
        for key, spec in items.items():
            words = tuple(spec.get("words") or ())
            excepts = tuple(spec.get("except") or ())
            self.items[key] = _Item(key, words, excepts, _alternation(list(words)),
                                    _alternation(list(excepts)))

    @classmethod
    def default(cls) -> Lexicon:
        return cls(DEFAULT_LEXICON)

    def as_dict(self) -> dict[str, dict[str, list[str]]]:
        return {k: {"words": list(i.words), "except": list(i.excepts)} for k, i in self.items.items()}

    def hints(self, body: str | NormalisedText, sensitive: Mapping | None) -> list[Hit]:
        """第八条: trigger words of items the record answers false (or not at all).

        One hit per (item, word), at the word's first occurrence; ``detail``
        gives the item and how often the word occurs.  Occurrences inside an
        ``except`` phrase do not count.  An item answered ``true`` is already
        explained in ``sensitive_note`` and gives no hint.
        """
        sensitive = sensitive if isinstance(sensitive, Mapping) else {}
        nt = as_normalised(body)
        text = nt.text
        hits: list[Hit] = []
        for key, item in self.items.items():
            if sensitive.get(key) is True or item.word_rx is None:
                continue
            excluded = ([(m.start(), m.end()) for m in item.except_rx.finditer(text)]
                        if item.except_rx else [])
            first: dict[str, tuple[int, int]] = {}
            counts: dict[str, int] = {}
            for m in item.word_rx.finditer(text):
                if any(a <= m.start() and m.end() <= b for a, b in excluded):
                    continue
                w = m.group()
                counts[w] = counts.get(w, 0) + 1
                first.setdefault(w, (m.start(), m.end()))
            label = SENSITIVE_ITEMS.get(key, key)
            article = ITEM_ARTICLES.get(key, "第八条")
            answer = "未作答" if key not in sensitive else "答“否”"
            answer_en = "not answered" if key not in sensitive else "answered false"
            for w, (s, e) in first.items():
                hits.append(nt.hit(
                    SENSITIVE_HINT, s, e,
                    detail=f"正文出现“{w}”（{counts[w]}处），而第八条{label}{answer}，请复核",
                    detail_en=f"the text mentions {w!r} ({counts[w]}×) but sensitive.{key} is "
                              f"{answer_en}; please check",
                    article=article,
                ))
        hits.sort(key=lambda h: h.start)
        return hits


def _validate(data) -> dict[str, dict[str, list[str]]]:
    if not isinstance(data, dict):
        raise LexiconError("词表必须是以第八条事项为键的映射",
                           "the lexicon must be a mapping keyed by 第八条 item")
    out: dict[str, dict[str, list[str]]] = {}
    for key, spec in data.items():
        if key not in SENSITIVE_ITEMS:
            raise LexiconError(f"未知的第八条事项“{key}”（可用：{', '.join(SENSITIVE_ITEMS)}）",
                               f"unknown 第八条 item {key!r} (known: {', '.join(SENSITIVE_ITEMS)})")
        if not isinstance(spec, dict):
            raise LexiconError(f"事项 {key} 必须是含 words 的映射", f"item {key} must be a mapping with words")
        unknown = set(spec) - {"words", "except"}
        if unknown:
            raise LexiconError(f"事项 {key} 有未知的键：{', '.join(map(str, unknown))}",
                               f"item {key} has unknown keys: {', '.join(map(str, unknown))}")
        lists = {}
        for name in ("words", "except"):
            value = spec.get(name) or []
            if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
                raise LexiconError(f"事项 {key} 的 {name} 必须是非空字符串列表",
                                   f"{key}.{name} must be a list of non-empty strings")
            lists[name] = [w.strip() for w in value]
        if not lists["words"]:
            raise LexiconError(f"事项 {key} 没有触发词", f"item {key} has no words")
        out[key] = lists
    return out


def load_lexicon(path: str | Path) -> Lexicon:
    """Read a lexicon file strictly (no anchors/aliases, no unknown keys); raises LexiconError."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"无法读取词表 {path}：{exc}", f"cannot read lexicon {path}: {exc}") from None
    try:
        data = load_yaml(raw, f"词表 {path}", f"lexicon {path}")
    except FrontMatterError as exc:
        raise LexiconError(exc.zh, exc.en) from None
    return Lexicon(_validate(data))
