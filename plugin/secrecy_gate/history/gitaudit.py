"""Git history as the audit trail (第十条 程序, 第十八条 责任).

One reader, called once per build: a single ``git log`` over the whole
history with raw (and, for merges, combined) diffs gives, for every commit
that changed a page, the page's blob before and after.  Blobs are read
through one ``git cat-file --batch`` process, and only when an audit needs
them.  Nothing here decides a verdict: ``rules.py`` does, from the evidence.

An entry (signature or consent) is *introduced* by a commit when it is in
the page's blob at that commit and in none of its parents' blobs.  The git
author of every introducing commit must be the person the entry names.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from ..core import frontmatter
from ..core.record import entry_key

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
    email: str
    name: str
    time: int
    index: int  # position in --topo-order output: children before parents
    subject: str = ""  # first line of the message, for the audit report (第十八条)


@dataclass(frozen=True, slots=True)
class Change:
    commit: str
    parent_blobs: tuple[str, ...]  # NULL_SHA where the path did not exist
    blob: str  # NULL_SHA when the commit deleted the path


@dataclass
class History:
    """Everything the audit needs, read from git once."""

    root: Path
    head: str | None
    shallow: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    changes: dict[str, list[Change]] = field(default_factory=dict)  # repo path -> changes
    head_blobs: dict[str, str] = field(default_factory=dict)  # repo path -> blob at HEAD
    dirty: set[str] = field(default_factory=set)  # repo paths differing from HEAD
    _reader: "BlobReader | None" = None
    _entries_cache: dict[str, frozenset] = field(default_factory=dict)
    # repo path -> introductions, computed ahead (fast reading) by a HistoryReader process
    precomputed: dict[str, dict] = field(default_factory=dict)

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

    def is_dirty(self, repo_path: str) -> bool:
        return repo_path in self.dirty

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

    # -- entries -----------------------------------------------------------
    def blob_text(self, blob: str) -> bytes | None:
        if blob == NULL_SHA:
            return None
        if self._reader is None:
            self._reader = BlobReader(self.root)
        return self._reader.read(blob)

    def entries(self, blob: str, exact: bool = False) -> frozenset:
        """Signature and consent entries present in a page blob.

        The fast reading (``entries_fast``) is used only where it is sure;
        ``exact`` forces the full YAML parse.
        """
        key = (blob, exact)
        if key in self._entries_cache:
            return self._entries_cache[key]
        raw = self.blob_text(blob)
        result = entries_of(raw, exact) if raw is not None else frozenset()
        self._entries_cache[key] = result
        return result

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
            found = entries_of(raw, False) if raw is not None else frozenset()
            self._entries_cache[(sha, False)] = frozenset(interned.setdefault(e, e) for e in found)

    def introductions(self, repo_path: str, expected: frozenset | None = None) -> dict[tuple, list[Commit]]:
        """For each entry ever in the page: the commits that introduced it.

        ``expected`` is the entry set of the page as the strict reader sees it
        now; if the fast reading of the HEAD blob disagrees, every version of
        this page is read with the full parser instead.
        """
        exact = False
        if expected is not None and repo_path in self.head_blobs:
            exact = self.entries(self.head_blobs[repo_path]) != expected
        if not exact and repo_path in self.precomputed:
            return self.precomputed[repo_path]
        out: dict[tuple, list[Commit]] = {}
        for ch in self.changes.get(repo_path, []):
            if ch.blob == NULL_SHA:
                continue
            new = self.entries(ch.blob, exact)
            if not new:
                continue
            before: set = set()
            for pb in ch.parent_blobs:
                before |= self.entries(pb, exact)
            for key in new - before:
                out.setdefault(key, []).append(self.commits[ch.commit])
        return out

    def touching(self, repo_path: str) -> list[Commit]:
        """Commits that changed the page, oldest first."""
        cs = [self.commits[c.commit] for c in self.changes.get(repo_path, [])]
        return sorted(cs, key=lambda c: -c.index)

    def close(self):
        if self._reader is not None:
            self._reader.close()
            self._reader = None


_ENTRY_KEYS = frozenset({"step", "name", "date", "opinion", "comment", "digest", "agency"})
_ENTRY_LINE = re.compile(r"^( *)- \{([^{}\[\]\\#&*!|>%@`]*)\}[ \t]*$")
_SECTION = re.compile(r"^( +)(signatures|consents):[ \t]*(\[\])?[ \t]*$")
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
_TS_TAG = "tag:yaml.org,2002:timestamp"


def entries_fast(raw: bytes) -> frozenset | None:
    """Entries written in the one-line flow form ``secrecy-gate sign`` writes.

    Returns None ("not sure") for anything else — quotes with escapes,
    anchors, block-style entries, values YAML would not read as plain strings
    or dates, an entry-like line outside ``signatures:``/``consents:`` — and
    the caller then parses the YAML in full.
    """
    try:
        fm, _, _ = frontmatter.split(frontmatter.decode(raw))
    except frontmatter.FrontMatterError:
        return None
    if "digest" not in fm and "\\" not in fm:
        # An entry that could match a valid record has a digest, and YAML can only
        # spell that key without the word through an escape.
        return frozenset()
    found = set()
    section_indent = None
    for line in fm.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _SECTION.match(line)
        if m:
            section_indent = None if m.group(3) else len(m.group(1))
            continue
        e = _ENTRY_LINE.match(line)
        if e and section_indent is not None and len(e.group(1)) >= section_indent:
            entry = _flow_entry(e.group(2))
            if entry is None:
                return None
            found.add(entry)
            continue
        if section_indent is not None and len(line) - len(line.lstrip(" ")) > section_indent:
            return None  # something other than a one-line entry inside the section
        section_indent = None
        if "digest" in line or "step:" in line or "agency:" in line and "{" in line:
            return None
    return frozenset(found)


@functools.lru_cache(maxsize=1 << 16)
def _flow_entry(inner: str) -> tuple | None:
    """``step: x, name: y, …`` → the entry key, or None when YAML might read it otherwise.

    Cached: successive versions of a page repeat the same entry lines.
    """
    entry = {}
    for part in inner.split(", "):
        k, sep, v = part.strip().partition(": ")
        v = v.strip()
        if not sep or k not in _ENTRY_KEYS or k in entry or not v or ": " in v:
            return None
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
            if v[0] in v[1:-1]:
                return None
            entry[k] = v[1:-1]  # a quoted scalar without escapes is that string
            continue
        if v[0] in "\"'" or v[-1] in "\"'":
            return None
        tag = _RESOLVER.resolve(yaml.ScalarNode, v, (True, False))
        if tag == _TS_TAG and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            try:
                _dt.date.fromisoformat(v)
            except ValueError:
                return None
        elif tag != _STR_TAG:
            return None
        entry[k] = v
    return tuple(sorted(entry.items()))


def entries_exact(raw: bytes) -> frozenset | None:
    """Entries by the full strict YAML parse; None when the page does not parse."""
    try:
        review = frontmatter.parse(raw).meta.get("review")
    except frontmatter.FrontMatterError:
        return None
    found: set = set()
    if isinstance(review, dict):
        for key in ("signatures", "consents"):
            items = review.get(key)
            if isinstance(items, list):
                found.update(entry_key(e) for e in items if isinstance(e, dict))
    return frozenset(found)


def entries_of(raw: bytes, exact: bool) -> frozenset:
    if not exact:
        fast = entries_fast(raw)
        if fast is not None:
            return fast
    full = entries_exact(raw)
    if full is None:
        # A version that does not parse still "contains" what is written in it:
        # attribute such entries to its author rather than to whoever fixed the YAML.
        return entries_fast(raw) or frozenset()
    return full


def read_blobs(root: Path, shas: list[str]):
    """Yield (sha, bytes) for each blob, one ``git cat-file --batch`` fully pipelined."""
    proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=root, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_git_env())

    def feed():
        try:
            proc.stdin.write("".join(s + "\n" for s in shas).encode())
        finally:
            proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        out = proc.stdout
        for sha in shas:
            header = out.readline().split()
            if len(header) == 3 and header[1] == b"blob":
                data = out.read(int(header[2]))
                out.read(1)
                yield sha, data
            else:
                yield sha, None
    finally:
        writer.join()
        proc.stdout.close()
        proc.wait()


class BlobReader:
    """One ``git cat-file --batch`` process for all blob reads."""

    def __init__(self, root: Path):
        self._proc = subprocess.Popen(
            ["git", "cat-file", "--batch"], cwd=root, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_git_env())
        self._lock = threading.Lock()

    def read(self, sha: str) -> bytes | None:
        with self._lock:
            assert self._proc.stdin and self._proc.stdout
            self._proc.stdin.write(sha.encode() + b"\n")
            self._proc.stdin.flush()
            header = self._proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                return None
            size = int(header[2])
            data = self._proc.stdout.read(size)
            self._proc.stdout.read(1)
            return data

    def close(self):
        try:
            if self._proc.stdin:
                self._proc.stdin.close()
            self._proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - closing a helper process must not mask results
            self._proc.kill()


def _git_env() -> dict:
    env = dict(os.environ)
    # Reading history must not depend on the user's pager, locale or replace refs.
    env.update({"GIT_PAGER": "cat", "LC_ALL": "C", "GIT_NO_REPLACE_OBJECTS": "1"})
    return env


def _git(root: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, env=_git_env(),
                              check=False)
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


def read_history(start: Path, previous: History | None = None) -> History:
    """Read the whole audit trail once.  Raises GitUnavailable.

    ``previous`` (a History read earlier, e.g. by the last ``mkdocs serve``
    rebuild) is reused when HEAD has not moved: history is immutable below a
    commit, so only the working tree's state is read again.
    """
    root = find_root(start)
    shallow = _git(root, "rev-parse", "--is-shallow-repository").strip() == b"true"
    try:
        head = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}").decode().strip()
    except GitUnavailable:
        head = None
    if (previous is not None and head is not None and previous.head == head
            and previous.root == root and previous.shallow == shallow):
        previous.dirty = _dirty_paths(root)
        return previous
    hist = History(root=root, head=head, shallow=shallow)
    hist.dirty = _dirty_paths(root)
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
               "-c", "-z", "--format=%x1e%H%x1f%P%x1f%ae%x1f%an%x1f%at%x1f%s", "HEAD")
    _parse_log(log, hist)
    return hist


def read_ahead(start: Path, docs_dir: Path, pages: list[str], keep: list[Path]) -> History:
    """The history with every page's introductions computed, slimmed for sending.

    ``pages`` are docs-relative; ``keep`` are other files whose changes the
    caller needs (the roster).  Runs in a ``HistoryReader`` process.
    """
    hist = read_history(start)
    if hist.head is None or hist.shallow:
        return hist
    to_repo = hist.page_paths(docs_dir)
    rps = [rp for rp in map(to_repo, pages) if rp is not None]
    hist.prefetch(rps)
    for rp in rps:
        hist.precomputed[rp] = hist.introductions(rp)
    wanted = set(rps) | {hist.repo_path(k) for k in keep}
    hist.changes = {p: c for p, c in hist.changes.items() if p in wanted}
    heads = {(hist.head_blobs[rp], False) for rp in rps if rp in hist.head_blobs}
    hist._entries_cache = {k: v for k, v in hist._entries_cache.items() if k in heads}
    hist.close()
    return hist


class HistoryReader:
    """``read_ahead`` in a second process (``python -m secrecy_gate.history.gitaudit``), so that the
    build can parse its pages on one core while git history is read on the other."""

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


def _dirty_paths(root: Path) -> set[str]:
    out = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    dirty = set()
    for item in out.split(b"\0"):
        if len(item) > 3:
            dirty.add(item[3:].decode("utf-8", "surrogateescape"))
    return dirty


def _parse_log(log: bytes, hist: History) -> None:
    for index, record in enumerate(log.split(b"\x1e")[1:]):
        header, _, rest = record.partition(b"\0")
        sha, parents, email, name, when, subject = header.decode("utf-8", "replace").split("\x1f", 5)
        commit = Commit(sha, tuple(parents.split()), email.strip().lower(), name,
                        int(when or 0), index, subject)
        hist.commits[sha] = commit
        tokens = rest.split(b"\0")
        i = 0
        while i < len(tokens):
            meta = tokens[i].lstrip(b"\n")
            if meta.startswith(b":") and i + 1 < len(tokens):
                path = tokens[i + 1].decode("utf-8", "surrogateescape")
                fields = meta.lstrip(b":").split()
                nparents = len(meta) - len(meta.lstrip(b":"))
                blobs = [f.decode() for f in fields[nparents + 1: 2 * nparents + 2]]
                hist.changes.setdefault(path, []).append(
                    Change(sha, tuple(blobs[:nparents]), blobs[nparents]))
                i += 2
            else:
                i += 1



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
