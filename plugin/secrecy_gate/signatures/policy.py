"""The site's signature policy: ``signatures: ssh | git``, the cut-over, the pinned keys.

- ``git`` (the default until a site has distributed keys): an entry is proven by
  the git author of the commit that introduced it.
- ``ssh``: an entry is proven by its SSH signature, by a key the roster in force
  at that commit gave the signer; the git author no longer matters, so squash and
  rebase merges, cherry-picks and renames keep a page published, while git
  history still decides which roster was in force and the resurrection rule.
- ``ssh_since`` (migration): entries introduced by the cut-over commit or its
  ancestors (or, with a date, by commits dated before it) are still judged the
  ``git`` way, so what is published stays published.
- ``SECRECY_GATE_ADMIN_KEYS`` (a CI setting, outside the editor's reach): the
  fingerprints of the administrators' keys that approve the first roster version.
  Setting it also locks the site to ``ssh``: an edited mkdocs.yml that says
  ``git`` withholds everything.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass

ADMIN_KEYS_ENV = "SECRECY_GATE_ADMIN_KEYS"
MODES = ("ssh", "git")
_COMMIT = re.compile(r"^[0-9a-fA-F]{7,64}$")
_FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")


@dataclass(frozen=True)
class Policy:
    mode: str = "git"
    since: str | _dt.date | None = None  # ssh_since as written: a commit (prefix) or a day
    since_commit: str | None = None  # resolved against history by the gate
    pins: frozenset[str] = frozenset()  # fingerprints from SECRECY_GATE_ADMIN_KEYS

    @property
    def ssh(self) -> bool:
        return self.mode == "ssh"

    def judged_by_git(self, commit, is_ancestor) -> bool:
        """Whether an entry introduced by ``commit`` is judged the git way."""
        if not self.ssh:
            return True
        if isinstance(self.since, _dt.date):
            return commit.local_date < self.since
        if self.since_commit is not None:
            return commit.sha == self.since_commit or is_ancestor(commit.sha, self.since_commit)
        return False


def since_value(value) -> str | _dt.date | None:
    """``ssh_since`` → a commit id (7–64 hex digits) or a date; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
        if _COMMIT.match(value):
            return value.lower()
    raise ValueError(f"应为提交编号或日期 YYYY-MM-DD / must be a commit id or a date YYYY-MM-DD: {value!r}")


def pinned_keys(environ=None) -> tuple[frozenset[str], list[str]]:
    """(fingerprints, unreadable words) of ``SECRECY_GATE_ADMIN_KEYS``."""
    raw = (environ if environ is not None else os.environ).get(ADMIN_KEYS_ENV, "")
    good, bad = set(), []
    for word in re.split(r"[\s,;]+", raw.strip()):
        if not word:
            continue
        if _FINGERPRINT.match(word):
            good.add(word)
        else:
            bad.append(word)
    return frozenset(good), bad
