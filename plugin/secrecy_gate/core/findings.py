"""Findings and verdicts: what the gate concludes about one page.

Every finding names the article (第N条) it enforces, the page, the field, a
message in Chinese and English, and how to fix it.  A page is published only
when no finding has severity ``error``; anything else withholds it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


# Withholding findings that only say a page has not been through its review yet: no
# record, a blank or unfinished one, signatures or a consent still to come.  During
# adoption (the plugin's ``rollout`` option) a page withheld for these alone is counted
# as awaiting review and does not fail the build; it is withheld all the same.
AWAITING_REVIEW = frozenset({
    "front-matter.missing", "record.absent", "record.missing-field", "record.empty-field",
    "sensitive.unanswered", "signature.missing", "consent.missing",
})


class Outcome(str, enum.Enum):
    PUBLISH = "publish"
    PUBLISH_REDACTED = "publish_redacted"
    WITHHOLD = "withhold"


class Severity(str, enum.Enum):
    ERROR = "error"      # withholds the page
    DECISION = "decision"  # withholds by the record's own decision (不予公开, 依申请公开)
    WARNING = "warning"  # printed, does not withhold (unless configured); counts under --strict
    NOTICE = "notice"  # printed for information; never withholds, never fails a --strict build


@dataclass(frozen=True)
class Finding:
    code: str
    article: str
    page: str
    message_zh: str
    message_en: str
    fix_zh: str = ""
    fix_en: str = ""
    field: str = ""
    line: int | None = None
    severity: Severity = Severity.ERROR

    @property
    def withholds(self) -> bool:
        return self.severity in (Severity.ERROR, Severity.DECISION)

    def render(self, lang: str = "zh") -> str:
        where = self.page + (f":{self.line}" if self.line else "")
        fld = f" [{self.field}]" if self.field else ""
        if lang == "en":
            text = f"{where}{fld}: {self.message_en} ({self.article}, {self.code})"
            return text + (f"\n    fix: {self.fix_en}" if self.fix_en else "")
        text = f"{where}{fld}：{self.message_zh}（{self.article}，{self.code}）"
        return text + (f"\n    处理：{self.fix_zh}" if self.fix_zh else "")

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "article": self.article,
            "page": self.page,
            "field": self.field,
            "line": self.line,
            "severity": self.severity.value,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "fix_zh": self.fix_zh,
            "fix_en": self.fix_en,
        }


@dataclass
class Verdict:
    page: str
    findings: list[Finding] = field(default_factory=list)
    redacted: bool = False

    @property
    def outcome(self) -> Outcome:
        if any(f.withholds for f in self.findings):
            return Outcome.WITHHOLD
        return Outcome.PUBLISH_REDACTED if self.redacted else Outcome.PUBLISH

    @property
    def published(self) -> bool:
        return self.outcome is not Outcome.WITHHOLD

    @property
    def by_decision_only(self) -> bool:
        """Withheld only because the record itself decides not to publish."""
        withholding = [f for f in self.findings if f.withholds]
        return bool(withholding) and all(f.severity is Severity.DECISION for f in withholding)

    @property
    def awaiting_review(self) -> bool:
        """Withheld only because its review is not done yet (``AWAITING_REVIEW``, or decisions)."""
        withholding = [f for f in self.findings if f.withholds]
        return bool(withholding) and not self.by_decision_only and all(
            f.severity is Severity.DECISION or f.code in AWAITING_REVIEW for f in withholding)

    @property
    def first_reason(self) -> Finding | None:
        for f in self.findings:
            if f.severity is Severity.ERROR:
                return f
        for f in self.findings:
            if f.withholds:
                return f
        return None

    def as_dict(self) -> dict:
        return {
            "page": self.page,
            "outcome": self.outcome.value,
            "findings": [f.as_dict() for f in self.findings],
        }
