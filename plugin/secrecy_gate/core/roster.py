"""The roster (``reviews/roster.yml``): agencies and the people who may sign.

第十条 names four steps and who takes each; 第十一条 the co-agencies whose
written consent is needed.  A signature is valid only from a person the
roster authorises for that step.  The roster is security-critical, so it is
parsed as strictly as a page: an unknown key or a doubtful value is an error.

Who may change the roster is written in it too: people with the ``admin``
step.  Each version carries a ``version`` number; a new version takes effect
only once ``admin_quorum`` administrators of the version before it have
approved it (``approvals``, written by ``secrecy-gate approve roster``, each
bound to the version's ``digest``).  ``review/trust.py`` follows that chain
through git history.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import frontmatter
from .schema import STEPS

ROSTER_STEPS = (*STEPS, "consent", "admin")
ROSTER_KEYS = {"version", "admin_quorum", "agencies", "people", "approvals"}
APPROVAL_KEYS = {"name", "date", "digest"}
DEFAULT_QUORUM = 2


class RosterError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Person:
    name: str
    emails: tuple[str, ...]
    agency: str
    steps: frozenset[str]

    def may(self, step: str) -> bool:
        return step in self.steps


@dataclass
class Roster:
    agencies: dict[str, str] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    by_email: dict[str, Person] = field(default_factory=dict)
    version: int | None = None  # None: a roster from before versions (it names no trust chain)
    admin_quorum: int = DEFAULT_QUORUM
    approvals: list[dict] = field(default_factory=list)  # entries as written (dates as text)
    digest: str = ""  # "sha256:…" of everything but the approvals: what an approval approves

    @property
    def admins(self) -> list[Person]:
        return [p for p in self.people.values() if p.may("admin")]

    @property
    def quorum(self) -> int:
        """Approvals a successor version needs: ``admin_quorum``, at most the number of admins."""
        return max(1, min(self.admin_quorum, len(self.admins)))

    def person(self, name: str) -> Person | None:
        return self.people.get(name)

    def who_is(self, email: str) -> Person | None:
        return self.by_email.get(email.strip().lower())

    def owns_email(self, name: str, email: str) -> bool:
        p = self.people.get(name)
        return p is not None and email.strip().lower() in p.emails

    def eligible(self, step: str, agency: str | None = None) -> list[Person]:
        return [p for p in self.people.values()
                if p.may(step) and (agency is None or p.agency == agency)]


def _fail(zh: str, en: str):
    raise RosterError(zh, en)


def parse_roster(text: str) -> Roster:
    try:
        data = frontmatter.load_yaml(text, "名册", "the roster")
    except frontmatter.FrontMatterError as exc:
        raise RosterError(exc.zh, exc.en) from None
    if not isinstance(data, dict):
        _fail("名册必须是映射，含 agencies 与 people", "the roster must map agencies and people")
    unknown = set(data) - ROSTER_KEYS
    if unknown:
        _fail(f"名册含未知键：{sorted(unknown)}", f"unknown roster keys: {sorted(unknown)}")
    roster = Roster()
    for key in ("version", "admin_quorum"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            _fail(f"{key} 必须是正整数", f"{key} must be a positive integer")
    roster.version = data.get("version")
    roster.admin_quorum = data.get("admin_quorum") or DEFAULT_QUORUM
    approvals = data.get("approvals")
    if approvals is None:
        approvals = []
    if not isinstance(approvals, list):
        _fail("approvals 必须是列表", "approvals must be a list")
    for i, a in enumerate(approvals, 1):
        if not isinstance(a, dict) or set(a) != APPROVAL_KEYS:
            _fail(f"approvals 第{i}项必须写成 {{name, date, digest}}",
                  f"approvals entry {i} must be {{name, date, digest}}")
        roster.approvals.append(frontmatter.to_jsonable(a))
    content = {k: v for k, v in data.items() if k != "approvals"}
    canonical = json.dumps(frontmatter.to_jsonable(content), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":")).encode()
    roster.digest = "sha256:" + hashlib.sha256(canonical).hexdigest()
    agencies = data.get("agencies")
    if not isinstance(agencies, dict) or not agencies:
        _fail("名册缺少 agencies", "the roster has no agencies")
    for aid, info in agencies.items():
        if not isinstance(aid, str) or not isinstance(info, dict) or set(info) != {"name"} \
                or not isinstance(info["name"], str) or not info["name"].strip():
            _fail(f"机构 {aid!r} 必须写成 {{name: 机构全称}}",
                  f"agency {aid!r} must be written as {{name: full name}}")
        roster.agencies[aid] = info["name"].strip()
    people = data.get("people")
    if not isinstance(people, list) or not people:
        _fail("名册缺少 people", "the roster has no people")
    for i, entry in enumerate(people, 1):
        if not isinstance(entry, dict):
            _fail(f"people 第{i}项不是映射", f"people entry {i} is not a mapping")
        unknown = set(entry) - {"name", "emails", "agency", "steps"}
        missing = {"name", "emails", "agency", "steps"} - set(entry)
        if unknown or missing:
            _fail(f"people 第{i}项：未知键 {sorted(unknown)}，缺少键 {sorted(missing)}",
                  f"people entry {i}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
        name, emails, agency, steps = (entry[k] for k in ("name", "emails", "agency", "steps"))
        if not isinstance(name, str) or not name.strip():
            _fail(f"people 第{i}项缺少姓名", f"people entry {i} has no name")
        name = name.strip()
        if name in roster.people:
            _fail(f"名册中姓名重复：{name}", f"duplicate name in roster: {name}")
        if not isinstance(emails, list) or not emails or not all(
                isinstance(e, str) and "@" in e for e in emails):
            _fail(f"{name}：emails 必须是电子邮箱列表", f"{name}: emails must be a list of e-mails")
        if agency not in roster.agencies:
            _fail(f"{name}：机构 {agency!r} 不在 agencies 中",
                  f"{name}: agency {agency!r} is not listed under agencies")
        if not isinstance(steps, list) or not steps or not set(steps) <= set(ROSTER_STEPS):
            _fail(f"{name}：steps 只能取 {', '.join(ROSTER_STEPS)}",
                  f"{name}: steps must be among {', '.join(ROSTER_STEPS)}")
        person = Person(name, tuple(e.strip().lower() for e in emails), agency, frozenset(steps))
        for e in person.emails:
            if e in roster.by_email:
                _fail(f"邮箱 {e} 同时属于 {roster.by_email[e].name} 和 {name}",
                      f"e-mail {e} belongs to both {roster.by_email[e].name} and {name}")
            roster.by_email[e] = person
        roster.people[name] = person
    return roster


def load_roster(path: Path) -> Roster:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"无法读取名册 {path}：{exc.strerror}",
                          f"cannot read the roster {path}: {exc.strerror}") from None
    try:
        text = frontmatter.decode(raw)
    except frontmatter.FrontMatterError as exc:
        raise RosterError(exc.zh, exc.en) from None
    return parse_roster(text)
