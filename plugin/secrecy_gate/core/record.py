"""The review record of one page (第五条), validated and normalised.

Validation is the JSON Schema of ``schema.py`` (第五条: a complete review
opinion with basis and reason); values written with the English alias are
normalised to the canonical Chinese.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .findings import Finding
from .frontmatter import to_jsonable
from .schema import CLASSIFICATIONS, DISCLOSURES, THIRD_PARTY_KINDS, page_schema

_ALIAS = {
    "classification": {v: k for k, v in CLASSIFICATIONS.items()},
    "disclosure": {v: k for k, v in DISCLOSURES.items()},
    "opinion": {v: k for k, v in DISCLOSURES.items()},
    "kind": {v: k for k, v in THIRD_PARTY_KINDS.items()},
}

if TYPE_CHECKING:
    import jsonschema


def _is_date(value: str) -> bool:
    try:
        _dt.date.fromisoformat(value)
        return True
    except ValueError:
        return False


# Both validators are built on first use, so that a process that only needs
# ``entry_key`` (the git reader) does not pay for importing and compiling them.

@functools.lru_cache(maxsize=None)
def _fast_validator():
    # fastjsonschema compiles the same schema to Python code: ~50x faster than
    # jsonschema on valid records, which is what a portal build mostly sees.
    # Any failure (or any doubt) falls through to jsonschema's full report.
    import fastjsonschema

    schema = page_schema()
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema, formats={"date": _is_date}), fastjsonschema.JsonSchemaException


@functools.lru_cache(maxsize=None)
def _full_validator():
    import jsonschema

    return jsonschema.Draft202012Validator(
        page_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _schema_errors(data: dict) -> list[jsonschema.ValidationError]:
    fast, invalid = _fast_validator()
    try:
        fast(data)
    except invalid:
        pass
    else:
        return []
    return sorted(_full_validator().iter_errors(data),
                  key=lambda e: (list(e.absolute_path), e.validator))


def canonical_value(kind: str, value):
    return _ALIAS.get(kind, {}).get(value, value)


@dataclass(frozen=True)
class Signature:
    step: str
    name: str
    date: _dt.date
    opinion: str
    digest: str
    comment: str = ""
    raw: tuple = ()  # the entry as written, for git attribution
    sshsig: str = ""  # the armoured SSH signature of the entry ("" when it has none)


@dataclass(frozen=True)
class Consent:
    agency: str
    name: str
    date: _dt.date
    digest: str
    comment: str = ""
    raw: tuple = ()
    sshsig: str = ""


@dataclass
class ReviewRecord:
    data: dict  # the review mapping, JSON-compatible, canonical values
    classification: str
    disclosure: str
    signatures: list[Signature] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)

    def get(self, key, default=None):
        return self.data.get(key, default)


def entry_key(entry: dict) -> tuple:
    """A hashable identity of a signature/consent entry as written."""
    return tuple(sorted((str(k), str(v)) for k, v in to_jsonable(entry).items()))


def _path(error: jsonschema.ValidationError) -> str:
    parts = []
    for p in error.absolute_path:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts) or "(front matter)"


def _explain(error: jsonschema.ValidationError, page: str) -> Finding:
    where = _path(error)
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        fld = f"{where}.{missing}" if where != "(front matter)" else missing
        return Finding("record.missing-field", "第五条", page,
                       f"审查记录缺少必填字段 {fld}", f"the review record lacks the required field {fld}",
                       f"在前置信息中填写 {fld}（见 secrecy-gate schema）",
                       f"fill in {fld} in the front matter (see `secrecy-gate schema`)", field=fld)
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        names = ", ".join(f"{where}.{k}" if where != "(front matter)" else k for k in extra)
        return Finding("record.unknown-field", "第五条", page,
                       f"未知字段 {names}（可能拼写错误），未知字段一律不予放行",
                       f"unknown field {names} (a typo?); unknown fields are never ignored",
                       "改正拼写或删除该字段", "correct the spelling or remove the field", field=names)
    if v == "enum":
        allowed = "|".join(map(str, error.schema["enum"]))
        return Finding("record.bad-value", "第五条", page,
                       f"{where} 的取值 {error.instance!r} 无效", f"{where} has invalid value {error.instance!r}",
                       f"取值应为 {allowed}", f"use one of {allowed}", field=where)
    if v in ("format", "pattern") and error.schema.get("format") == "date":
        return Finding("record.bad-date", "第五条", page,
                       f"{where} 不是有效日期：{error.instance!r}", f"{where} is not a valid date: {error.instance!r}",
                       "日期写作 YYYY-MM-DD，例如 2026-11-27", "write dates as YYYY-MM-DD, e.g. 2026-11-27",
                       field=where)
    if v == "minLength" or (v == "type" and error.instance is None):
        return Finding("record.empty-field", "第五条", page,
                       f"{where} 为空", f"{where} is empty",
                       f"填写 {where}", f"fill in {where}", field=where)
    return Finding("record.invalid", "第五条", page,
                   f"{where} 不符合审查记录格式：{error.message}",
                   f"{where} does not fit the review record: {error.message}",
                   "按 secrecy-gate schema 改正", "correct it per `secrecy-gate schema`", field=where)


def _normalise(review: dict) -> dict:
    out = dict(review)
    for key in ("classification", "disclosure"):
        if key in out:
            out[key] = canonical_value(key, out[key])
    if isinstance(out.get("third_party"), dict) and "kind" in out["third_party"]:
        tp = dict(out["third_party"])
        tp["kind"] = [canonical_value("kind", k) for k in tp["kind"]]
        out["third_party"] = tp
    return out


def parse_record(meta: dict, page: str, jsonable: dict | None = None
                 ) -> tuple[ReviewRecord | None, list[Finding]]:
    """Validate ``meta`` and build the record, or return findings (第二条, 第五条).

    ``jsonable`` is ``to_jsonable(meta)`` when the caller already has it.
    """
    if "review" not in meta:
        return None, [Finding(
            "record.absent", "第二条", page,
            "页面没有 review 审查记录：未经保密审查的信息不得公开（先审核后公开）",
            "the page has no `review:` record; nothing is published before its review",
            "运行 secrecy-gate adopt 页面 加入空白审查记录（页面原有内容不变），填写后按第十条程序签署",
            "run `secrecy-gate adopt PAGE` to add a blank review record (the rest of the page stays "
            "as it is), fill it in and have it signed",
            field="review")]
    data = jsonable if jsonable is not None else to_jsonable(meta)
    errors = _schema_errors(data)
    if errors:
        findings, seen = [], set()
        for e in errors:
            if e.instance is None and e.validator == "enum":
                continue  # an empty value is reported once, as empty
            f = _explain(e, page)
            if (f.code, f.field) not in seen:
                seen.add((f.code, f.field))
                findings.append(f)
        return None, findings
    review = _normalise(data["review"])
    sigs = []
    for raw, s in zip(meta["review"].get("signatures") or [], review.get("signatures") or []):
        sigs.append(Signature(s["step"], s["name"], _dt.date.fromisoformat(s["date"]),
                              canonical_value("opinion", s["opinion"]), s["digest"],
                              s.get("comment", ""), entry_key(raw), s.get("sshsig", "")))
    cons = []
    for raw, c in zip(meta["review"].get("consents") or [], review.get("consents") or []):
        cons.append(Consent(c["agency"], c["name"], _dt.date.fromisoformat(c["date"]), c["digest"],
                            c.get("comment", ""), entry_key(raw), c.get("sshsig", "")))
    return ReviewRecord(review, review["classification"], review["disclosure"], sigs, cons), []
