"""The approved-only view of docs_dir (第二条 先审核后公开): the tree MkDocs builds from.

Recognising include syntax cannot keep a withheld page out of a published
one: a template can compute a name (``{% include p|urlencode %}``), walk
``files`` and print every ``content_string``, or a plugin can read docs_dir
itself (Material's blog).  So the build does not start from docs_dir at all.
The plugin writes, before MkDocs or any other plugin lists a file, a staged
tree that holds exactly what may be published:

- every published page, with exactly the text the gate judged and MkDocs
  renders (a 删减后公开 page with its 第九条 secret points already
  replaced), under YAML front matter that keeps the page's own keys but not
  its ``review`` record;
- every approved non-page file (a reviewed attachment or an asset), copied.

Nothing withheld is ever written, so a template, a Jinja loader or a plugin
that reads ``config.docs_dir`` can only reach approved content.  Other
generators may read this same tree later, hence real front matter rather
than an empty one.

The stage is internal material: it is never inside docs_dir or site_dir,
and the plugin removes it after every build, failed or not.  It sits beside
docs_dir, inside the site's repository (git-ignored), with its
subdirectories in memory where there is room (see ``write_stage``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..review.gate import PageResult, SiteReview

PREFIX = ".secrecy-gate-stage-"
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Memory-backed (tmpfs) on Linux: creating a file there costs microseconds, on a disk
# often a large part of a millisecond, as much as MkDocs writing that page's output.
MEMORY_DIR = "/dev/shm"
MEMORY_HEADROOM = 64 << 20


@dataclass
class Stage:
    """A staged tree: ``root`` (and ``memory``) are removed as a whole; ``docs_dir`` is what
    MkDocs reads.  With ``memory``, the subdirectories of ``docs_dir`` are symbolic links
    into it."""

    root: Path
    docs_dir: Path
    memory: Path | None = None
    pages: set[str] = field(default_factory=set)  # docs-relative paths of staged pages
    files: set[str] = field(default_factory=set)  # docs-relative paths of staged non-page files

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)  # removes the links, not what they point to
        if self.memory is not None:
            shutil.rmtree(self.memory, ignore_errors=True)

    def holds(self, path: str | None) -> bool:
        """Whether ``path`` is in the stage (through its links or not)."""
        return path is not None and any(_inside(path, d) for d in (self.root, self.memory) if d)


def _inside(path: str, directory: Path) -> bool:
    p, d = os.path.abspath(path), os.path.abspath(directory)
    return p == d or p.startswith(d.rstrip(os.sep) + os.sep)


def page_text(page: PageResult, head: str = "") -> str:
    """A published page as staged: its front matter without ``review``, then ``head`` (HTML a
    generator without the plugin shows above the page), then the body MkDocs renders.

    The front matter is written from the parsed keys (the values the gate
    judged), not copied from the source: a YAML comment is covered by no
    signature, and must not travel on.  Measured on the 2,000-page bench
    portal: 0.07 s for all pages, against 0.004 s for an empty ``{}`` front
    matter: about 0.01 of the bench ratio, for a tree other generators can read.
    """
    meta = {k: v for k, v in page.document.meta.items() if k != "review"}
    meta_text = yaml.dump(meta, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=1 << 16) if meta else "{}\n"
    return "---\n" + meta_text + "---\n" + head + handoff_body(page)


def handoff_body(page: PageResult) -> str:
    """The body MkDocs renders, newlines as MkDocs reads files and with a final one.

    MkDocs' front-matter pattern needs both, or it renders front matter as page text.
    """
    body = page.publish_body.replace("\r\n", "\n").replace("\r", "\n")
    return body if body.endswith("\n") else body + "\n"


def stage_parent(docs_dir: Path, avoid: Iterable[str | os.PathLike]) -> Path | None:
    """Where to create the stage: beside docs_dir, unless that is inside a directory to avoid.

    Beside docs_dir keeps the stage inside the site's git work tree, so plugins
    that ask git about ``config.docs_dir`` in their ``on_config`` (as
    mkdocs-git-revision-date-localized-plugin does for the site's date) find a
    repository instead of failing the build; a ``.gitignore`` of ``*`` keeps it
    out of ``git status``.  ``avoid`` are site_dir, docs_dir and the paths
    ``mkdocs serve`` watches (a stage created there would start a rebuild, whose
    stage starts the next one).  None: use the system's temporary directory.
    """
    parent = os.path.abspath(docs_dir.parent)
    for d in avoid:
        d = os.path.abspath(d)
        if parent == d or parent.startswith(d.rstrip(os.sep) + os.sep):
            return None
    return Path(parent)


def memory_dir(needed: int) -> Path | None:
    """A memory-backed directory with room for ``needed`` bytes and to spare, or None."""
    try:
        st = os.statvfs(MEMORY_DIR)
    except (OSError, AttributeError):  # no /dev/shm, or not a POSIX system
        return None
    if not os.access(MEMORY_DIR, os.W_OK) or st.f_bavail * st.f_frsize < 2 * needed + MEMORY_HEADROOM:
        return None
    return Path(MEMORY_DIR)


def write_stage(review: SiteReview, docs_dir: Path, parent: Path | None,
                memory: Path | None = None, *, heads: Mapping[str, str] | None = None,
                extra: Mapping[str, str] | None = None, at: Path | None = None) -> Stage:
    """Write the approved-only tree of ``review`` (a review of ``docs_dir``).

    ``heads`` (by page path) is put above a published page's body, ``extra`` are pages
    written as given (the build for other generators: ``pipeline.document_heads``); both
    are made from published pages only.  ``at``: this new (or empty) directory is the
    stage's root instead of a temporary one under ``parent`` (``secrecy-gate stage OUT``).

    ``docs_dir`` of the stage is always a real directory under ``parent``
    (inside the site's repository: see ``stage_parent``).  With ``memory``
    (see ``memory_dir``), each of its subdirectories is a symbolic link to a
    directory there, so that most files are created in memory; MkDocs follows
    such links, and so do Jinja's loaders.  The links point only into the
    stage's own memory directory, which holds nothing but approved content.

    Raises OSError when a file cannot be written; the stage is then removed
    and the caller fails the build (a partial stage publishes less, but a
    build that silently drops approved pages is not what anyone reviewed).
    """
    root = None
    if at is not None:
        at.mkdir(parents=True, exist_ok=True)
        if any(at.iterdir()):
            raise FileExistsError(f"{at} is not empty")
        root = at
    elif parent is not None:
        try:
            root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
        except OSError:
            root = None  # a read-only checkout: the system's temporary directory will do
    if root is None:
        root = Path(tempfile.mkdtemp(prefix=PREFIX.lstrip(".")))
    stage = Stage(root, root / "docs")
    try:
        (root / ".gitignore").write_text("*\n", encoding="utf-8")
        stage.docs_dir.mkdir()
        if memory is not None:
            try:
                stage.memory = Path(tempfile.mkdtemp(prefix=PREFIX.lstrip("."), dir=memory))
            except OSError:
                stage.memory = None
        made: dict[str, Path] = {"": stage.docs_dir}
        for path, page in review.pages.items():
            if not page.published or page.publish_body is None:
                continue
            head = heads.get(path, "") if heads else ""
            _target(stage, path, made).write_bytes(page_text(page, head).encode("utf-8"))
            stage.pages.add(path)
        for path, text in (extra or {}).items():
            _target(stage, path, made).write_bytes(text.encode("utf-8"))
            stage.pages.add(path)
        for path, result in review.files.items():
            if not result.published:
                continue
            # Copied, not hard-linked: a plugin that rewrites a file in docs_dir (an image
            # optimiser, say) must not change the author's original through a shared inode,
            # and what is copied is the file as approved now, not whatever it becomes later.
            shutil.copyfile(docs_dir / path, _target(stage, path, made))
            stage.files.add(path)
    except BaseException:
        stage.remove()
        raise
    return stage


def _target(stage: Stage, rel: str, made: dict[str, Path]) -> Path:
    """Where the stage's file ``rel`` is written (its directory made on first use)."""
    folder, _, name = rel.rpartition("/")
    where = made.get(folder)
    if where is None:
        top, _, rest = folder.partition("/")
        if top not in made:
            made[top] = stage.docs_dir / top
            if stage.memory is not None:
                (stage.memory / top).mkdir()
                try:
                    os.symlink(stage.memory / top, stage.docs_dir / top, target_is_directory=True)
                except OSError:  # no symbolic links here (Windows without the right): on disk
                    os.rmdir(stage.memory / top)
                    (stage.docs_dir / top).mkdir()
            else:
                (stage.docs_dir / top).mkdir()
        where = made[folder] = stage.docs_dir / folder
        if rest:
            where.mkdir(parents=True, exist_ok=True)
    return where / name


def staged_bytes(review: SiteReview, docs_dir: Path) -> int:
    """About how much the stage will hold (to choose where it fits)."""
    total = sum(len(p.publish_body or "") * 3 + 1024 for p in review.pages.values() if p.published)
    for path, result in review.files.items():
        if result.published:
            try:
                total += (docs_dir / path).stat().st_size
            except OSError:
                pass
    return total
