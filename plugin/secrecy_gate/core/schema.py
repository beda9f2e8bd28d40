"""JSON Schema of the review record (第五条: every field of the review opinion).

``secrecy-gate schema`` prints it for editors' YAML tooling; the gate
validates every record against it with ``jsonschema``.  Unknown keys are
errors everywhere inside ``review`` and ``document``: a typo such as
``signatrues`` must never be ignored.
"""

from __future__ import annotations

import copy

CLASSIFICATIONS = {
    "非密": "none",
    "工作秘密": "work_secret",
    "秘密": "confidential",
    "机密": "secret",
    "绝密": "top_secret",
}
DISCLOSURES = {
    "主动公开": "proactive",
    "依申请公开": "on_request",
    "删减后公开": "redacted",
    "不予公开": "withheld",
}
THIRD_PARTY_KINDS = {"商业秘密": "trade_secret", "个人隐私": "privacy"}
STEPS = ("originator", "originator_head", "secrecy_office", "leader")
STEP_NAMES_ZH = {
    "originator": "信息产生机构初步意见",
    "originator_head": "信息产生机构负责人审查意见",
    "secrecy_office": "保密审查机构审查意见",
    "leader": "分管领导审查批准",
}
SENSITIVE_ITEMS = {
    "economic_data": "（一）未发布的经济数据",
    "historical_events": "（二）重大历史事件和政治运动的表述",
    "pending_cases": "（三）尚未处理完结的司法、执法、信访、复议案件",
    "cautious_matters": "（四）文件规定应慎重处理的信息",
    "other_risks": "（五）可能违反保密规定的其他情形",
}

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"}
TEXT = {"type": "string", "minLength": 1}
DIGEST = {"type": "string", "pattern": r"^sha256:[0-9a-f]{64}$"}
# The signer's SSH signature of the entry (signatures/messages.py says what it signs), as
# `ssh-keygen -Y sign` armours it, its line breaks written as spaces to keep the entry on one
# line.  Required under the site policy `signatures: ssh`; what it proves is judged by the
# rules (review/rules.py), not here: a garbled one is a finding that names it.
SSHSIG = {"type": "string", "minLength": 1}


def _enum(mapping: dict) -> dict:
    return {"type": "string", "enum": [*mapping, *mapping.values()]}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    out = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


SIGNATURE = _obj(
    {
        "step": {"type": "string", "enum": list(STEPS)},
        "name": TEXT,
        "date": DATE,
        "opinion": _enum(DISCLOSURES),
        "comment": {"type": "string"},
        "digest": DIGEST,
        "sshsig": SSHSIG,
    },
    ["step", "name", "date", "opinion", "digest"],
)

CONSENT = _obj(
    {
        "agency": TEXT,
        "name": TEXT,
        "date": DATE,
        "comment": {"type": "string"},
        "digest": DIGEST,
        "sshsig": SSHSIG,
    },
    ["agency", "name", "date", "digest"],
)

REVIEW = _obj(
    {
        "classification": _enum(CLASSIFICATIONS),
        "disclosure": _enum(DISCLOSURES),
        "basis": TEXT,
        "reason": TEXT,
        "sensitive": _obj({k: {"type": "boolean"} for k in SENSITIVE_ITEMS}),
        "sensitive_note": TEXT,
        "third_party": _obj(
            {
                "involved": {"type": "boolean"},
                "kind": {"type": "array", "items": _enum(THIRD_PARTY_KINDS)},
                "consent": _obj({"party": TEXT, "date": DATE, "document": TEXT},
                                ["party", "date", "document"]),
            },
            ["involved"],
        ),
        "public_interest": _obj(
            {
                "info_office": _obj({"name": TEXT, "date": DATE}, ["name", "date"]),
                "secrecy_office": _obj({"name": TEXT, "date": DATE}, ["name", "date"]),
                "reason": TEXT,
            },
            ["info_office", "secrecy_office", "reason"],
        ),
        "lead_agency": TEXT,
        "co_agencies": {"type": "array", "items": TEXT, "uniqueItems": True},
        "consents": {"type": "array", "items": CONSENT},
        "signatures": {"type": "array", "items": SIGNATURE},
        "secrecy_period": TEXT,
        "declassification": _obj({"date": DATE, "authority": TEXT, "document": TEXT},
                                 ["date", "authority", "document"]),
        "escalations": {
            "type": "array",
            "items": _obj(
                {
                    "to": TEXT,
                    "date": DATE,
                    "question": TEXT,
                    "answer": _obj({"date": DATE, "by": TEXT, "conclusion": TEXT},
                                   ["date", "by", "conclusion"]),
                    "delay_reason": TEXT,
                },
                ["to", "date", "question"],
            ),
        },
        "redactions": {"type": "integer", "minimum": 0},
        "attachments": {
            "type": "array",
            # ``unreadable``: a reviewer's reason for publishing a file whose text the gate
            # cannot read (a scan, an encrypted PDF), bound to that file by ``sha256`` and
            # covered by the signatures' digest like every other field.
            "items": _obj({"path": TEXT, "sha256": {"type": "string",
                                                    "pattern": "^[0-9a-f]{64}$"},
                           "unreadable": TEXT},
                          ["path", "sha256"]),
        },
        "pii_allowed": {"type": "array", "items": _obj({"value": TEXT, "reason": TEXT},
                                                       ["value", "reason"])},
    },
    ["classification", "disclosure", "basis", "reason", "sensitive", "third_party",
     "lead_agency"],
)

DOCUMENT = _obj(
    {
        "index_no": TEXT,
        "issuer": TEXT,
        "doc_no": TEXT,
        "written": DATE,
        "published": DATE,
    }
)

PAGE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://secrecy-gate.invalid/schema/page.json",
    "title": "secrecy-gate review record (武威市政府信息公开保密审查制度)",
    "type": "object",
    "properties": {"title": TEXT, "document": DOCUMENT, "review": REVIEW},
    "required": ["review"],
}


def page_schema() -> dict:
    return copy.deepcopy(PAGE)


def vocabulary() -> str:
    """Every field name and fixed value of the record, one a line.

    Public words of the record format, not of any page: the leak scan does
    not look for them (a withheld page's ``document:`` line must not match
    ``document`` in a theme's JavaScript).
    """
    words: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            words.extend(node.get("properties", {}))
            words.extend(v for v in node.get("enum", []) if isinstance(v, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(PAGE)
    return "\n".join(dict.fromkeys(words))
