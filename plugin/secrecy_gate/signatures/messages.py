"""What exactly a signer's key signs (第十条, 第十一条, 第十八条).

One canonical byte string per entry, never the YAML as written (layout,
quoting and key order do not matter; every value does):

- a **signature** (第十条) signs the page digest (``core/digest.py``: the page
  body and every front-matter field but the entries), its step, opinion, date,
  signer's name and comment, and ``previous``: the hash of every signature
  before it *with their SSH signatures*.  Each step therefore signs the steps
  before it: the order of 第十条 is proven by the chain, whatever order,
  squashing or rebasing the commits went through.
- a **consent** (第十一条) signs the same with its agency, chained over the
  consents before it.
- an **approval** of the roster or of the build inputs signs what is approved
  (``roster`` or ``inputs``), its digest, the administrator's name and date.

Every message starts with a line naming what it is, so a signature of one kind
can never be replayed as another; all are signed in the namespace
``secrecy-gate`` (``NAMESPACE``), so no SSH signature made for git commits,
files or logins is accepted either.
"""

from __future__ import annotations

import hashlib
import json

NAMESPACE = "secrecy-gate"
ENTRY_FIELD = "sshsig"  # the entry field that holds the armoured signature


def _canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _entry_fields(entry) -> dict:
    """The signed fields of a Signature/Consent (``core/record.py``) or a plain mapping."""
    get = entry.get if isinstance(entry, dict) else (lambda k, d=None: getattr(entry, k, d))
    out = {}
    for key in ("step", "agency", "name", "date", "opinion", "digest", "comment"):
        value = get(key)
        if value is None or (key == "comment" and value == ""):
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if "opinion" in out:
        from ..core.record import canonical_value
        out["opinion"] = canonical_value("opinion", out["opinion"])
    return out


def chain_item(entry) -> bytes:
    """One entry as it enters the chain: its signed fields and its own signature."""
    fields = _entry_fields(entry)
    get = entry.get if isinstance(entry, dict) else (lambda k, d=None: getattr(entry, k, d))
    fields[ENTRY_FIELD] = get(ENTRY_FIELD) or ""
    return _canonical(fields)


def chain_hash(previous, items: list[bytes] | None = None) -> str:
    """``sha256:`` of the entries before one, each with its signature (the chain link): the
    canonical JSON list of ``chain_item``s.  ``items``: those items already made (a record's
    entries are proven in order, each item made once)."""
    items = [chain_item(e) for e in previous] if items is None else items
    return "sha256:" + hashlib.sha256(b"[" + b",".join(items) + b"]").hexdigest()


def entry_message(kind: str, entry, previous, items: list[bytes] | None = None) -> bytes:
    """The bytes signed for a ``signature`` or ``consent`` entry after ``previous`` entries."""
    if kind not in ("signature", "consent"):
        raise ValueError(kind)
    doc = {"entry": _entry_fields(entry), "previous": chain_hash(previous, items)}
    return f"secrecy-gate {kind} v1\n".encode() + _canonical(doc)


def approval_message(what: str, name: str, date: str, digest: str) -> bytes:
    """The bytes an administrator signs to approve the ``roster`` or the build ``inputs``."""
    if what not in ("roster", "inputs"):
        raise ValueError(what)
    doc = {"approves": what, "name": str(name), "date": str(date), "digest": str(digest)}
    return f"secrecy-gate approval v1\n".encode() + _canonical(doc)
