"""Git history as the audit trail (第十条 程序, 第十八条 责任).

One reader, called once per build.  What it asks git for cannot be forged by
what a commit contains:

- ``git log --format='%H %P' --raw -c -z`` lists every commit with its parents
  and, for every path it changed, the blobs before and after.  The format holds
  nothing but object ids; paths are NUL-terminated and come only after a raw
  diff line, so no commit message, author name or file name can start a record
  or a field.  Any line that is not in that form stops the reading: the history
  is then unusable and every page is withheld.
- Who made a commit is read from the commit object itself, through ``git
  cat-file --batch`` (length-prefixed), and parsed strictly: one tree, the same
  parents as the log, exactly one ``author`` line of the form ``name <email>
  time zone``.  A commit that is missing or not in that form is *malformed*, and
  no entry it introduces is proven.
- Blobs are read through the same pipelined ``cat-file``.

Nothing here decides a verdict: ``review/rules.py`` does, from the evidence.

An entry (signature or consent) is *introduced* by a commit when it is in the
page's blob at that commit and in none of its parents' blobs.  The git author of
every introducing commit must be the person the entry names.  An entry is
*voided* when, after the commit that introduced it, history leading to HEAD
holds a version of the page that differs from the one now published (another
digest, or no page): a decision the history has moved away from — a withdrawal,
a changed decision, a deletion — is not undone by a merge, revert, cherry-pick
or checkout that brings the old text and its signatures back (第十条, 第十八条).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .entries import digest_of, entries_of, has_review, scan

NULL_SHA = "0" * 40


class GitUnavailable(RuntimeError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    email: str  # author e-mail, lower-cased; "" when the commit is malformed
    name: str  # author name, for display (control characters replaced)
    time: int  # author time, seconds since the epoch
    index: int  # position in --topo-order output: children before parents
    subject: str = ""  # first line of the message, for display (control characters replaced)
    tz: int = 0  # author's UTC offset in minutes
    malformed: str = ""  # why this commit object cannot be trusted; "" when it can

    @property
    def local_date(self) -> _dt.date:
        """The author date as the author's own clock showed it."""
        return _local_date(self.time, self.tz)


@functools.lru_cache(maxsize=1 << 14)
def _local_date(time: int, tz: int) -> _dt.date:
    return _dt.datetime.fromtimestamp(time, _dt.timezone(_dt.timedelta(minutes=tz))).date()


@dataclass(frozen=True, slots=True)
class Change:
    commit: str
    parent_blobs: tuple[str, ...]  # NULL_SHA where the path did not exist
    blob: str  # NULL_SHA when the commit deleted the path


@dataclass
class Evidence:
    """What history says about the entries of one page."""

    introductions: dict = field(default_factory=dict)  # entry key -> [Commit] that introduced it
    voided: dict = field(default_factory=dict)  # entry key -> Commit whose version voids it
    created: Commit | None = None  # the oldest commit that touched the page
    adopted: Commit | None = None  # the oldest commit whose version has a review record


@dataclass
class History:
    """Everything the audit needs, read from git once."""

    root: Path
    head: str | None
    shallow: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    changes: dict[str, list[Change]] = field(default_factory=dict)  # repo path -> changes, log order
    head_blobs: dict[str, str] = field(default_factory=dict)  # repo path -> blob at HEAD
    _reader: "BlobReader | None" = None
    _entries_cache: dict = field(default_factory=dict)  # (blob, exact) -> entries
    _keys: dict = field(default_factory=dict)  # blob -> version key (None: unsure)
    _digests: dict = field(default_factory=dict)  # blob -> digest by the full parse
    _reviewed: dict = field(default_factory=dict)  # blob -> has a review record (has_review)
    # repo path -> Evidence, computed ahead (fast reading) by a HistoryReader process
    precomputed: dict[str, Evidence] = field(default_factory=dict)
    # Merges whose version of a path differs from their first parent's only, which the
    # combined diff leaves out: read on request, for the audit report (第十八条).
    merge_changes: dict[str, list[Change]] | None = None
    # Sent by a HistoryReader: the pages' changes stay in the reader (their evidence is in
    # ``precomputed``); a page that needs its whole history again reads it anew.
    partial: bool = False
    _full: "History | None" = None

    # -- paths -------------------------------------------------------------
    def repo_path(self, path: Path) -> str | None:
        try:
            rel = Path(os.path.realpath(path)).relative_to(os.path.realpath(self.root))
        except ValueError:
            return None
        return PurePosixPath(*rel.parts).as_posix()

    def page_paths(self, docs_dir: Path) -> "callable":
        """docs-relative page path → repo path, resolving docs_dir once (not once per page).

        A page is the file at that path as git tracks it: a symbolic link is judged
        as the link (whose blob is no review record), never as its target.
        """
        prefix = self.repo_path(docs_dir)
        if prefix is None:
            return lambda rel: None
        if prefix in ("", "."):
            return lambda rel: rel
        return lambda rel: f"{prefix}/{rel}"

    def is_committed(self, repo_path: str) -> bool:
        return repo_path in self.head_blobs

    def differs(self, repo_path: str, data: bytes) -> bool:
        """Whether ``data`` (the file as read from the working tree) is not the committed blob.

        Judged from the bytes themselves, not from ``git status``, which an
        ``update-index --assume-unchanged`` or ``--skip-worktree`` bit silences.
        Only where the bytes differ is git asked to hash the file as it would commit
        it (line-ending and other clean filters), so that such a conversion is not
        mistaken for an edit.
        """
        head = self.head_blobs.get(repo_path)
        if head is None:
            return True
        if git_blob_id(data, len(head)) == head:
            return False
        try:
            out = _git(self.root, "hash-object", "--path", repo_path, "--stdin", stdin=data)
        except GitUnavailable:
            return True
        return out.decode().strip() != head

    # -- ancestry ----------------------------------------------------------
    def is_ancestor(self, a: str, b: str) -> bool:
        """True when commit ``a`` is a proper ancestor of ``b``."""
        ca, cb = self.commits.get(a), self.commits.get(b)
        if ca is None or cb is None or a == b or ca.index <= cb.index:
            return False
        seen, stack = {b}, [b]
        while stack:
            for p in self.commits[stack.pop()].parents:
                if p == a:
                    return True
                cp = self.commits.get(p)
                # Ancestors of p come after p in topo order; once past a, a is unreachable.
                if cp is not None and cp.index < ca.index and p not in seen:
                    seen.add(p)
                    stack.append(p)
        return False

    def descendants(self, sha: str) -> set[str]:
        """``sha`` and every commit that has it as an ancestor."""
        if sha not in self.commits:
            return set()
        children: dict[str, list[str]] = {}
        start = self.commits[sha].index
        for c in self.commits.values():
            if c.index < start:
                for p in c.parents:
                    children.setdefault(p, []).append(c.sha)
        out, stack = {sha}, [sha]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in out:
                    out.add(child)
                    stack.append(child)
        return out

    # -- versions and entries ---------------------------------------------
    def blob_text(self, blob: str) -> bytes | None:
        if blob == NULL_SHA:
            return None
        if self._reader is None:
            self._reader = BlobReader(self.root)
        return self._reader.read(blob)

    def _remember(self, blob: str, raw: bytes | None, want_key: bool = False) -> None:
        """The entries of a blob (and its version key, with ``want_key``), in one pass."""
        if raw is None:
            self._entries_cache[(blob, False)], self._keys[blob] = frozenset(), None
            self._reviewed[blob] = False
            return
        self._reviewed[blob] = has_review(raw)
        fast, key = scan(raw, want_key)
        self._entries_cache[(blob, False)] = fast if fast is not None else entries_of(raw, False)
        if want_key:
            self._keys[blob] = key

    def entries(self, blob: str, exact: bool = False) -> frozenset:
        """Signature and consent entries present in a page blob.

        The fast reading (``entries_fast``) is used only where it is sure;
        ``exact`` forces the full YAML parse.
        """
        key = (blob, exact)
        if key not in self._entries_cache:
            raw = self.blob_text(blob)
            if exact:
                self._entries_cache[key] = entries_of(raw, True) if raw is not None else frozenset()
            else:
                self._remember(blob, raw)
        return self._entries_cache[key]

    def same_version(self, a: str, b: str) -> bool:
        """Whether two page blobs have the same digest (a deleted page is no version)."""
        if a == b:
            return a != NULL_SHA
        if NULL_SHA in (a, b):
            return False
        for blob in (a, b):
            if blob not in self._keys:
                self._remember(blob, self.blob_text(blob), want_key=True)
        ka, kb = self._keys[a], self._keys[b]
        if ka is not None and kb is not None:
            return ka == kb
        for blob in (a, b):
            if blob not in self._digests:
                raw = self.blob_text(blob)
                self._digests[blob] = digest_of(raw) if raw is not None else None
        return self._digests[a] is not None and self._digests[a] == self._digests[b]

    def prefetch(self, repo_paths) -> None:
        """Read every blob these pages ever had, in one pipelined ``cat-file``."""
        wanted = []
        seen = set()
        for rp in repo_paths:
            for ch in self.changes.get(rp, []):
                for b in (ch.blob, *ch.parent_blobs):
                    if b != NULL_SHA and b not in seen and (b, False) not in self._entries_cache:
                        seen.add(b)
                        wanted.append(b)
        if not wanted:
            return
        # Successive versions of a page repeat most of their entries: keep one copy of each.
        interned: dict = {}
        for sha, raw in read_blobs(self.root, wanted):
            self._remember(sha, raw)
            found = self._entries_cache[(sha, False)]
            self._entries_cache[(sha, False)] = frozenset(interned.setdefault(e, e) for e in found)

    def introductions(self, repo_path: str, exact: bool = False, entries=None) -> dict[tuple, list[Commit]]:
        """For each entry ever in the file: the commits that introduced it.

        ``entries`` reads a blob's entries (default: a page's signatures and
        consents, fast where sure, in full with ``exact``).
        """
        read = entries or (lambda blob: self.entries(blob, exact))
        out: dict[tuple, list[Commit]] = {}
        for ch in self.changes.get(repo_path, []):
            if ch.blob == NULL_SHA:
                continue
            new = read(ch.blob)
            if not new:
                continue
            before: set = set()
            for pb in ch.parent_blobs:
                if pb != NULL_SHA:
                    before |= read(pb)
            for key in new - before:
                out.setdefault(key, []).append(self.commits[ch.commit])
        return out

    def voided(self, repo_path: str, introductions: dict, current, same=None) -> dict[tuple, Commit]:
        """第十条, 第十八条: the entries of ``current`` that a later version voids.

        An entry is void when some commit after one that introduced it — its
        descendant, and so an ancestor of HEAD — left the page in another version
        than the one at HEAD (another digest, or deleted).  The signatures of a
        version the history has moved away from stay void whatever brings that
        version back.
        """
        same = same or self.same_version  # a page: by digest; another file: the caller's
        head = self.head_blobs.get(repo_path)
        changes = self.changes.get(repo_path, [])
        out: dict[tuple, Commit] = {}
        if head is None:
            return out
        for key in current:
            digest = dict(key).get("digest")
            # A commit that itself introduced a current entry approving the same digest is
            # that approval being recorded, not a later decision: its version is the
            # approved one.  (Most pages change only by their signatures after the first:
            # no version need be read again.)
            approving = {c.sha for k in current if dict(k).get("digest") == digest
                         for c in introductions.get(k, ())}
            for intro in introductions.get(key, ()):
                for ch in reversed(changes):  # oldest first
                    c = self.commits[ch.commit]
                    if c.index >= intro.index or c.sha in approving or same(ch.blob, head):
                        continue
                    if self.is_ancestor(intro.sha, c.sha):
                        out[key] = c
                        break
                if key in out:
                    break
        return out

    def evidence(self, repo_path: str, expected: frozenset | None = None) -> Evidence:
        """Introductions, voided entries and creation of one page.

        ``expected`` is the entry set of the page as the strict reader sees it
        now; if the fast reading of the HEAD blob disagrees, every version of
        this page is read with the full parser instead.
        """
        exact = False
        head = self.head_blobs.get(repo_path)
        if expected is not None and head is not None:
            exact = self.entries(head) != expected
        if not exact and repo_path in self.precomputed:
            return self.precomputed[repo_path]
        if self.partial:
            # The fast reading was not sure of this page: read its whole history again.
            if self._full is None:
                self._full = read_history(self.root)
            return self._full.evidence(repo_path, expected)
        intro = self.introductions(repo_path, exact)
        current = self.entries(head, exact) if head is not None else frozenset()
        if exact:
            for blob in {b for ch in self.changes.get(repo_path, []) for b in (ch.blob, *ch.parent_blobs)}:
                self._keys[blob] = None  # the fast reading is not sure of this page: full parses
        touching = self.touching(repo_path)
        return Evidence(intro, self.voided(repo_path, intro, current), touching[0] if touching else None)

    def created(self, repo_path: str) -> Commit | None:
        """The oldest commit that touched the page (from the evidence read ahead, if any)."""
        if repo_path in self.precomputed:
            return self.precomputed[repo_path].created
        touching = self.touching(repo_path)
        return touching[0] if touching else None

    def adoption(self, repo_path: str) -> Commit | None:
        """The oldest commit whose version of the page has a review record (``has_review``):
        when the page entered review.  None: no committed version ever had one."""
        if repo_path in self.precomputed:
            return self.precomputed[repo_path].adopted
        oldest = None
        for ch in self.changes.get(repo_path, []):
            if ch.blob == NULL_SHA:
                continue
            if ch.blob not in self._reviewed:
                self._reviewed[ch.blob] = has_review(self.blob_text(ch.blob) or b"")
            if self._reviewed[ch.blob]:
                c = self.commits[ch.commit]
                if oldest is None or c.index > oldest.index:
                    oldest = c
        return oldest

    def touching(self, repo_path: str, merges: bool = False) -> list[Commit]:
        """Commits that changed the file, oldest first.

        With ``merges``, also every merge whose version differs from its first
        parent's (read on first use): the audit shows a merge that brought an
        old version back even where it equals the version of another parent.
        """
        shas = {c.commit for c in self.changes.get(repo_path, [])}
        if merges:
            if self.merge_changes is None:
                self.merge_changes = _merge_changes(self.root, self.commits)
            shas |= {c.commit for c in self.merge_changes.get(repo_path, [])}
        return sorted((self.commits[s] for s in shas), key=lambda c: -c.index)

    def close(self):
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._full is not None:
            self._full.close()


def git_blob_id(data: bytes, length: int = 40) -> str:
    """The object id git gives ``data`` as a blob (SHA-1, or SHA-256 in a sha256 repository)."""
    h = hashlib.sha1() if length == 40 else hashlib.sha256()
    h.update(b"blob %d\x00" % len(data))
    h.update(data)
    return h.hexdigest()


def read_objects(root: Path, shas: list[str]):
    """Yield (sha, type, bytes) for each object, one ``git cat-file --batch`` fully pipelined.

    The type is None (and the bytes empty) for a missing object.
    """
    proc = subprocess.Popen(_GIT + ["cat-file", "--batch"], cwd=root, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_git_env())

    def feed():
        try:
            proc.stdin.write("".join(s + "\n" for s in shas).encode())
        except OSError:
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        out = proc.stdout
        for sha in shas:
            header = out.readline().split()
            if len(header) == 3 and header[0].decode() == sha and header[2].isdigit():
                data = out.read(int(header[2]))
                out.read(1)
                yield sha, header[1].decode(), data
            elif len(header) == 2 and header[1] == b"missing":
                yield sha, None, b""
            else:
                raise GitUnavailable("git cat-file 的输出无法解析", "unexpected output from git cat-file")
    finally:
        writer.join()
        proc.stdout.close()
        proc.wait()


def read_blobs(root: Path, shas: list[str]):
    """Yield (sha, bytes) for each blob (None for anything that is not a blob)."""
    for sha, kind, data in read_objects(root, shas):
        yield sha, data if kind == "blob" else None


class BlobReader:
    """One ``git cat-file --batch`` process for all blob reads."""

    def __init__(self, root: Path):
        self._proc = subprocess.Popen(
            _GIT + ["cat-file", "--batch"], cwd=root, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_git_env())
        self._lock = threading.Lock()

    def read(self, sha: str) -> bytes | None:
        with self._lock:
            assert self._proc.stdin and self._proc.stdout
            self._proc.stdin.write(sha.encode() + b"\n")
            self._proc.stdin.flush()
            header = self._proc.stdout.readline().split()
            if len(header) == 2 and header[1] == b"missing":
                return None
            if len(header) != 3 or not header[2].isdigit():
                raise GitUnavailable("git cat-file 的输出无法解析", "unexpected output from git cat-file")
            data = self._proc.stdout.read(int(header[2]))
            self._proc.stdout.read(1)
            return data if header[1] == b"blob" else None

    def close(self):
        try:
            if self._proc.stdin:
                self._proc.stdin.close()
            self._proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - closing a helper process must not mask results
            self._proc.kill()


# Settings a user's or repository's configuration could change about what git prints.
_GIT = ["git", "-c", "log.showSignature=false", "-c", "core.quotePath=false",
        "-c", "log.decorate=false", "-c", "color.ui=false"]


def _git_env() -> dict:
    env = dict(os.environ)
    # Reading history must not depend on the user's pager, locale or replace refs.
    env.update({"GIT_PAGER": "cat", "LC_ALL": "C", "GIT_NO_REPLACE_OBJECTS": "1"})
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_GRAFT_FILE"):
        env.pop(key, None)
    return env


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(_GIT + list(args), cwd=root, capture_output=True, env=_git_env(),
                              check=False, input=stdin)
    except FileNotFoundError:
        raise GitUnavailable("找不到 git 命令", "the git command was not found") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise GitUnavailable(f"git {args[0]} 失败：{err}", f"git {args[0]} failed: {err}")
    return proc.stdout


def find_root(start: Path) -> Path:
    try:
        out = _git(start, "rev-parse", "--show-toplevel")
    except GitUnavailable:
        raise GitUnavailable(
            f"{start} 不在 git 仓库中：审查记录只能由 git 历史证明",
            f"{start} is not inside a git repository; only git history can prove a review",
        ) from None
    return Path(out.decode().strip())


def read_history(start: Path, previous: History | None = None, subjects: bool = True) -> History:
    """Read the whole audit trail once.  Raises GitUnavailable.

    ``previous`` (a History read earlier, e.g. by the last ``mkdocs serve``
    rebuild) is reused when HEAD has not moved: history is immutable below a
    commit.  ``subjects``: read each commit message's first line (for the audit report).
    """
    root = find_root(start)
    shallow = _git(root, "rev-parse", "--is-shallow-repository").strip() == b"true"
    try:
        head = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}").decode().strip()
    except GitUnavailable:
        head = None
    if (previous is not None and head is not None and previous.head == head
            and previous.root == root and previous.shallow == shallow):
        return previous
    hist = History(root=root, head=head, shallow=shallow)
    if head is None:
        return hist
    for entry in _git(root, "ls-tree", "-r", "-z", "--full-tree", "HEAD").split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            hist.head_blobs[path.decode("utf-8", "surrogateescape")] = parts[2].decode()
    log = _git(root, "log", "--topo-order", "--root", "--raw", "--no-abbrev", "--no-renames",
               "--no-color", "--no-ext-diff", "--no-textconv", "-c", "-z", "--format=%H %P", "HEAD")
    order, changes = _parse_log(log, hist.shallow)
    if head not in order:
        raise GitUnavailable("git log 未列出 HEAD", "git log did not list HEAD")
    hist.changes = changes
    hist.commits = _read_commits(root, order, subjects)
    return hist


_OID = rb"(?:[0-9a-f]{40}|[0-9a-f]{64})"
_HEADER = re.compile(rb"\n?(" + _OID + rb")((?: " + _OID + rb")*) ?")
_RAW = re.compile(rb"\n?(:+)([0-7 ]+?) ((?:" + _OID + rb" )+)([A-Z]+[0-9]*)")


def _oid(raw: bytes) -> str:
    s = raw.decode()
    return NULL_SHA if not s.strip("0") else s


def _records(log: bytes):
    """``git log --format='%H %P' --raw -z`` output → ("commit", sha, parents) and
    ("change", nparents, blobs, path) in order.

    A path token is read only right after a raw diff line; anything that is
    neither a header of object ids nor a raw diff line is an error.
    """
    tokens = log.split(b"\0")
    seen_commit = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok in (b"", b"\n"):
            continue
        raw = _RAW.fullmatch(tok)
        if raw is not None:
            if not seen_commit or i >= len(tokens):
                raise _unexpected("a diff line outside a commit")
            path = tokens[i].decode("utf-8", "surrogateescape")
            i += 1
            yield "change", len(raw.group(1)), [_oid(b) for b in raw.group(3).split()], path
            continue
        head = _HEADER.fullmatch(tok)
        if head is None:
            raise _unexpected(repr(tok[:80]))
        seen_commit = True
        yield "commit", head.group(1).decode(), tuple(p.decode() for p in head.group(2).split())


def _parse_log(log: bytes, shallow: bool) -> tuple[dict[str, tuple[str, ...]], dict[str, list[Change]]]:
    """``git log --format='%H %P' --raw -c -z`` → (commit -> parents in log order, path -> changes)."""
    order: dict[str, tuple[str, ...]] = {}
    changes: dict[str, list[Change]] = {}
    current: str | None = None
    for record in _records(log):
        if record[0] == "commit":
            _, current, parents = record
            if current in order:
                raise _unexpected(f"commit {current} listed twice")
            order[current] = parents
            continue
        _, nparents, blobs, path = record
        if len(blobs) != nparents + 1 or nparents != max(1, len(order[current])):
            raise _unexpected(f"a diff line of {nparents} parent(s) for {current}")
        changes.setdefault(path, []).append(Change(current, tuple(blobs[:-1]), blobs[-1]))
    if not shallow:
        for sha, parents in order.items():
            if any(p not in order for p in parents):
                raise GitUnavailable(f"git 历史不完整：提交 {sha[:10]} 的父提交缺失",
                                     f"git history is incomplete: a parent of {sha[:10]} is missing")
    return order, changes


def _unexpected(what: str) -> GitUnavailable:
    return GitUnavailable(f"git log 的输出无法解析（{what}），不予信任",
                          f"unexpected output from git log ({what}); history is not trusted")


# Control and bidirectional-override characters a name or message could use to
# disguise what a terminal or report shows.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_IDENT = re.compile(rb"(?P<name>[^<>\n\x00]*) <(?P<email>[^<>\n\x00]*)> (?P<time>[0-9]{1,12}) "
                    rb"(?P<tz>[+-][0-9]{4})")


def display(text: str) -> str:
    """``text`` safe to print: control and direction-override characters replaced."""
    return _UNSAFE.sub("\ufffd", text)


def parse_commit(sha: str, data: bytes | None, parents: tuple[str, ...], index: int,
                 subject: bool = True, names: dict | None = None) -> Commit:
    """A commit object → Commit; anything out of the ordinary makes it malformed.

    ``subject``: read the message's first line (the audit report shows it; a build
    does not).  ``names`` interns the author's name and e-mail: a history has few
    authors, and one string each keeps what the history reader sends small.
    """
    def bad(why: str) -> Commit:
        return Commit(sha, parents, "", "", 0, index, "", 0, why)

    if data is None:
        return bad("the commit object is missing")
    header, sep, message = data.partition(b"\n\n")
    if b"\x00" in header:
        return bad("the commit header contains a NUL byte")
    tree, found_parents, authors, encoding = 0, [], [], None
    for line in header.split(b"\n"):
        if line.startswith(b" "):
            continue  # continuation of a multi-line header (gpgsig, mergetag)
        key, _, value = line.partition(b" ")
        if key == b"tree":
            tree += 1
        elif key == b"parent":
            found_parents.append(value.decode("ascii", "replace"))
        elif key == b"author":
            authors.append(value)
        elif key == b"encoding":
            encoding = value.decode("ascii", "replace")
    if tree != 1:
        return bad("the commit object does not name exactly one tree")
    if tuple(found_parents) != parents:
        return bad("the commit object's parents differ from git log's")
    if len(authors) != 1:
        return bad(f"the commit object has {len(authors)} author lines")
    m = _IDENT.fullmatch(authors[0])
    if m is None:
        return bad("the author line is not `name <email> time zone`")
    try:
        email = m.group("email").decode("utf-8").strip().lower()
    except UnicodeDecodeError:
        return bad("the author e-mail is not UTF-8")
    tz_raw = m.group("tz").decode()
    tz = (1 if tz_raw[0] == "+" else -1) * (int(tz_raw[1:3]) * 60 + int(tz_raw[3:5]))
    try:
        codec = encoding or "utf-8"
        "".encode(codec)
    except LookupError:
        codec = "utf-8"
    name = display(m.group("name").decode(codec, "replace").strip())
    if names is not None:
        name, email = names.setdefault(name, name), names.setdefault(email, email)
    text = message.split(b"\n", 1)[0].decode(codec, "replace").strip() if sep and subject else ""
    return Commit(sha, parents, email, name, int(m.group("time")), index, display(text), tz)


def _read_commits(root: Path, order: dict[str, tuple[str, ...]], subjects: bool = True) -> dict[str, Commit]:
    commits: dict[str, Commit] = {}
    names: dict[str, str] = {}
    shas = list(order)
    for index, (sha, kind, data) in enumerate(read_objects(root, shas)):
        commits[sha] = parse_commit(sha, data if kind == "commit" else None, order[sha], index,
                                    subjects, names)
    return commits


def _merge_changes(root: Path, commits: dict[str, Commit]) -> dict[str, list[Change]]:
    """Each merge's changes against its first parent (``--diff-merges=first-parent``)."""
    log = _git(root, "log", "--merges", "--diff-merges=first-parent", "--raw", "--no-abbrev",
               "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv", "-z",
               "--format=%H %P", "HEAD")
    out: dict[str, list[Change]] = {}
    for path, changes in _parse_first_parent(log).items():
        out[path] = [c for c in changes if c.commit in commits]
    return out


def _parse_first_parent(log: bytes) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {}
    current = None
    for record in _records(log):
        if record[0] == "commit":
            current = record[1]
            continue
        _, nparents, blobs, path = record
        if nparents != 1 or len(blobs) != 2:
            raise _unexpected("a first-parent diff line")
        out.setdefault(path, []).append(Change(current, (blobs[0],), blobs[1]))
    return out


def read_ahead(start: Path, docs_dir: Path, pages: list[str], keep: list[Path]) -> History:
    """The history with every page's evidence computed, slimmed for sending.

    ``pages`` are docs-relative; ``keep`` are other files whose changes the
    caller needs (the roster, the site-inputs record).  Runs in a
    ``HistoryReader`` process.
    """
    hist = read_history(start, subjects=False)  # a build shows no commit messages
    if hist.head is None or hist.shallow:
        return hist
    to_repo = hist.page_paths(docs_dir)
    rps = [rp for rp in map(to_repo, pages) if rp is not None]
    hist.prefetch(rps)
    for rp in rps:
        found = hist.evidence(rp)
        head = hist.head_blobs.get(rp)
        current = hist.entries(head) if head is not None else frozenset()
        # The build looks up only the entries the page holds now.
        found.introductions = {k: v for k, v in found.introductions.items() if k in current}
        found.adopted = hist.adoption(rp)  # `status` and `sweep` count deadlines from it
        hist.precomputed[rp] = found
    wanted = {hist.repo_path(k) for k in keep}
    hist.changes = {p: c for p, c in hist.changes.items() if p in wanted}
    hist.partial = True
    heads = {(hist.head_blobs[rp], False) for rp in rps if rp in hist.head_blobs}
    hist._entries_cache = {k: v for k, v in hist._entries_cache.items() if k in heads}
    hist._keys, hist._digests, hist._reviewed = {}, {}, {}
    hist.close()
    return hist


class HistoryReader:
    """``read_ahead`` in a second process (``python -m secrecy_gate.history.gitaudit``), so that
    the build can parse its pages on one core while git history is read on the other."""

    def __init__(self, start: Path, docs_dir: Path, pages: list[str], keep: list[Path]):
        import pickle
        import sys
        self.request = (start, docs_dir, frozenset(pages), tuple(keep))
        env = _git_env()
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._proc = subprocess.Popen([sys.executable, "-m", "secrecy_gate.history.gitaudit"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._result: list = []

        def exchange():
            try:
                pickle.dump((start, docs_dir, pages, keep), self._proc.stdin)
                self._proc.stdin.close()
                self._result.append(pickle.load(self._proc.stdout))
            except Exception as exc:  # noqa: BLE001 - reported by result()
                self._result.append(("error", "读取 git 历史的进程失败", f"the git reader failed: {exc!r}"))

        self._thread = threading.Thread(target=exchange, daemon=True)
        self._thread.start()

    def covers(self, start: Path, docs_dir: Path, pages: list[str], keep: list[Path]) -> bool:
        """Whether this reader was asked for (at least) what a review now needs."""
        s, d, p, k = self.request
        return s == start and d == docs_dir and tuple(keep) == k and p.issuperset(pages)

    def abandon(self) -> None:
        """Stop a reader whose answer nobody will read."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()

    def result(self) -> History:
        """The history, or GitUnavailable (never a partial history)."""
        self._thread.join()
        self._proc.wait()
        answer = self._result[0] if self._result else ("error", "读取 git 历史的进程无响应",
                                                        "no answer from the git reader")
        if isinstance(answer, History):
            return answer
        _, zh, en = answer
        raise GitUnavailable(zh, en)


def _serve() -> None:
    """The HistoryReader process: one pickled request in, one History (or error) out."""
    import pickle
    import sys
    try:
        start, docs, pages, keep = pickle.load(sys.stdin.buffer)
        answer = read_ahead(start, docs, pages, keep)
    except GitUnavailable as exc:
        answer = ("error", exc.zh, exc.en)
    except BaseException as exc:  # noqa: BLE001 - the build turns this into a withholding finding
        answer = ("error", f"读取 git 历史时出错：{exc!r}", f"reading git history failed: {exc!r}")
    pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    # Run the package's module, not this __main__ copy, so what is pickled unpickles as
    # secrecy_gate.history.gitaudit.History in the build.
    from secrecy_gate.history.gitaudit import _serve as serve
    serve()
