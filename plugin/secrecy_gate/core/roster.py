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

Each person may list their SSH public keys (``keys``: the ``allowed_signers``
idea — the key, its owner, an optional validity window).  Under the site
policy ``signatures: ssh`` an entry counts only when it carries an SSH
signature by a key the roster in force gave that person (``review/rules.py``);
adding, rotating or removing a key is a roster change like any other, approved
by the administrators.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import frontmatter
from .schema import STEPS

ROSTER_STEPS = (*STEPS, "consent", "admin")
ROSTER_KEYS = {"version", "admin_quorum", "agencies", "people", "approvals"}
APPROVAL_KEYS = {"name", "date", "digest"}
APPROVAL_SIGNATURE = "sshsig"  # optional in an approval; required under `signatures: ssh`
PERSON_KEYS = {"name", "emails", "agency", "steps", "keys"}
KEY_KEYS = {"key", "valid_after", "valid_before"}
DEFAULT_QUORUM = 2


class RosterError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class RosterKey:
    """One public key of a person, with its optional validity window (both days inclusive)."""

    blob: bytes  # the key's wire form: what a signature's embedded key is compared with
    type: str
    fingerprint: str
    comment: str = ""
    valid_after: _dt.date | None = None
    valid_before: _dt.date | None = None

    def valid_on(self, day: _dt.date) -> bool:
        return ((self.valid_after is None or day >= self.valid_after)
                and (self.valid_before is None or day <= self.valid_before))

    def window(self) -> str:
        return f"{self.valid_after or '…'} – {self.valid_before or '…'}"


@dataclass(frozen=True)
class Person:
    name: str
    emails: tuple[str, ...]
    agency: str
    steps: frozenset[str]
    keys: tuple[RosterKey, ...] = ()

    def may(self, step: str) -> bool:
        return step in self.steps

    def key(self, blob: bytes) -> RosterKey | None:
        """This person's roster key with that wire form, whatever its window."""
        return next((k for k in self.keys if k.blob == blob), None)


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

    def key_owner(self, blob: bytes) -> Person | None:
        """The person the roster gives this key to (keys are unique across people)."""
        return next((p for p in self.people.values() if p.key(blob) is not None), None)

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
        if not isinstance(a, dict) or set(a) - {APPROVAL_SIGNATURE} != APPROVAL_KEYS:
            _fail(f"approvals 第{i}项必须写成 {{name, date, digest}}（可加 sshsig）",
                  f"approvals entry {i} must be {{name, date, digest}} (and optionally sshsig)")
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
        unknown = set(entry) - PERSON_KEYS
        missing = PERSON_KEYS - {"keys"} - set(entry)
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
        keys = _parse_keys(name, entry.get("keys"))
        for k in keys:
            for other in roster.people.values():
                if other.key(k.blob) is not None:
                    _fail(f"密钥 {k.fingerprint} 同时属于 {other.name} 和 {name}",
                          f"the key {k.fingerprint} belongs to both {other.name} and {name}")
        person = Person(name, tuple(e.strip().lower() for e in emails), agency, frozenset(steps),
                        keys)
        for e in person.emails:
            if e in roster.by_email:
                _fail(f"邮箱 {e} 同时属于 {roster.by_email[e].name} 和 {name}",
                      f"e-mail {e} belongs to both {roster.by_email[e].name} and {name}")
            roster.by_email[e] = person
        roster.people[name] = person
    return roster


def _day(value, name: str, what: str) -> _dt.date | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value)
        except ValueError:
            pass
    if not isinstance(value, _dt.date):
        _fail(f"{name}：密钥的 {what} 必须是日期 YYYY-MM-DD", f"{name}: a key's {what} must be a date YYYY-MM-DD")
    return value


def _parse_keys(name: str, keys) -> tuple[RosterKey, ...]:
    """``keys:`` of a person: ``ssh-ed25519 AAAA… comment`` lines, or mappings with a window."""
    from ..signatures.sshsig import SSHSigError, parse_public_key

    if keys is None:
        return ()
    if not isinstance(keys, list):
        _fail(f"{name}：keys 必须是公钥列表", f"{name}: keys must be a list of public keys")
    out: list[RosterKey] = []
    for i, item in enumerate(keys, 1):
        window = {}
        if isinstance(item, dict):
            if set(item) - KEY_KEYS or "key" not in item:
                _fail(f"{name}：keys 第{i}项只能含 key、valid_after、valid_before",
                      f"{name}: keys entry {i} may hold only key, valid_after, valid_before")
            window = item
            item = item["key"]
        if not isinstance(item, str):
            _fail(f"{name}：keys 第{i}项不是公钥", f"{name}: keys entry {i} is not a public key")
        try:
            key, comment = parse_public_key(item)
        except SSHSigError as exc:
            _fail(f"{name}：keys 第{i}项无效：{exc.zh}", f"{name}: keys entry {i} is invalid: {exc.en}")
        after = _day(window.get("valid_after"), name, "valid_after")
        before = _day(window.get("valid_before"), name, "valid_before")
        if after and before and after > before:
            _fail(f"{name}：keys 第{i}项的 valid_after 晚于 valid_before",
                  f"{name}: keys entry {i} has valid_after after valid_before")
        if any(k.blob == key.blob for k in out):
            _fail(f"{name}：密钥 {key.fingerprint} 重复", f"{name}: the key {key.fingerprint} is listed twice")
        out.append(RosterKey(key.blob, key.type, key.fingerprint, comment, after, before))
    return tuple(out)


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
