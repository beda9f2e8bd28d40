"""The documentation stays true to the repository.

README.md is a newcomer's path and docs/ holds the reference; both are read
on the forge and offline, so a broken relative link or anchor strands the
reader.  These tests check, without a network:

- every relative link and anchor in README.md and docs/*.md resolves;
- docs/index.md lists every page of docs/, and README.md links to it;
- docs/commands.md documents every command and every option of the CLI;
- docs/rules.md documents every finding code the package can emit, and its
  table of rules is the one ``scripts/rules-table`` generates from
  ``review/rules.py`` (RULES);
- docs/configuration.md documents every plugin option;
- no file in the repository mentions a specification document that does not
  ship with the project (users are pointed at the article and the docs page).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import unicodedata
from pathlib import Path

import click
import pytest

from secrecy_gate import cli
from secrecy_gate.build.plugin import SecrecyGateConfig

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = ROOT / "plugin" / "secrecy_gate"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ID = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")


def _prose_lines(path: Path):
    """(line number, text) of the lines outside fenced code blocks, inline code removed."""
    fenced = False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            yield n, re.sub(r"`[^`]*`", "``", line)


def slug(heading: str) -> str:
    """The anchor GitHub (and most Markdown renderers) give a heading."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)          # code spans keep their text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    kept = "".join(ch for ch in text
                   if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out: set[str] = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if fenced:
            continue
        out.update(_HTML_ID.findall(line))
        m = _HEADING.match(line)
        if m:
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(path: Path):
    for n, line in _prose_lines(path):
        for m in (*_LINK.finditer(line), *_IMAGE.finditer(line)):
            yield n, m.group(1)


def test_every_relative_link_and_anchor_resolves():
    assert DOCS.is_dir() and len(PAGES) > 5
    broken = []
    checked = 0
    for page in PAGES:
        for n, target in links(page):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …
                continue
            checked += 1
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(ROOT)}:{n}: {target}"
            if not dest.exists():
                broken.append(f"{where} (no such file)")
            elif ROOT not in dest.parents and dest != ROOT:
                broken.append(f"{where} (outside the repository)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{where} (no heading with anchor #{anchor})")
            elif anchor and dest.suffix != ".md":
                broken.append(f"{where} (an anchor into a file that is not Markdown)")
    assert checked > 50, "the link checker found almost no links: the pattern is broken"
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_link_checker_catches_a_broken_anchor(tmp_path):
    """The checker itself: a missing file and a missing heading are both reported."""
    (tmp_path / "a.md").write_text("# Top\n\n## Build inputs: mkdocs.yml, hooks\n\n"
                                   "See [x](b.md) and [y](#build-inputs-mkdocsyml-hooks) "
                                   "and [z](#nope) and `[not](a-link.md)`.\n", encoding="utf-8")
    found = [t for _, t in links(tmp_path / "a.md")]
    assert found == ["b.md", "#build-inputs-mkdocsyml-hooks", "#nope"]
    got = anchors(tmp_path / "a.md")
    assert "build-inputs-mkdocsyml-hooks" in got and "nope" not in got
    assert slug("索引号 checks (第五条)") == "索引号-checks-第五条"
    assert slug("2. Code in mkdocs.yml, hooks") == "2-code-in-mkdocsyml-hooks"


def test_docs_index_lists_every_page_and_readme_links_to_it():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    listed = {t.partition("#")[0] for _, t in links(DOCS / "index.md")}
    missing = [p.name for p in DOCS.glob("*.md") if p.name != "index.md" and p.name not in listed]
    assert not missing, f"docs/index.md does not list {missing}"
    readme = {t.partition("#")[0] for _, t in links(ROOT / "README.md")}
    assert "docs/index.md" in readme
    assert "secrecy-gate" in index


def _commands(group: click.Group, prefix: str = ""):
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, full + " ")
        else:
            yield full, cmd


def _section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if m and m.group(2) == heading:
            level = len(m.group(1))
            body = []
            for rest in lines[i + 1:]:
                h = _HEADING.match(rest)
                if h and len(h.group(1)) <= level:
                    break
                body.append(rest)
            return "\n".join(body)
    return ""


def test_commands_page_documents_every_command_and_option():
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    problems = []
    commands = list(_commands(cli.main))
    assert len(commands) >= 12
    for name, cmd in commands:
        section = _section(text, f"`secrecy-gate {name}`")
        if not section:
            problems.append(f"no heading `secrecy-gate {name}`")
            continue
        for param in cmd.params:
            if isinstance(param, click.Argument):
                if param.name.upper() not in section:
                    problems.append(f"{name}: argument {param.name.upper()} not described")
                continue
            for opt in (*param.opts, *param.secondary_opts):
                if opt in ("-h", "--help"):
                    continue
                if not re.search(rf"`[^`]*{re.escape(opt)}(?![\w-])[^`]*`", section):
                    problems.append(f"{name}: option {opt} not described")
    assert not problems, "docs/commands.md is incomplete:\n" + "\n".join(problems)


def test_configuration_page_documents_every_plugin_option():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    options = [name for name, _ in SecrecyGateConfig._schema]
    assert "roster" in options and len(options) >= 14
    missing = [o for o in options if not re.search(rf"^\|\s*`{o}`", text, re.M)]
    assert not missing, f"docs/configuration.md has no table row for {missing}"


# -- finding codes -----------------------------------------------------------------------

_CODE = re.compile(r"^([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)$")
_NOT_A_CODE_SUFFIX = (".yml", ".yaml", ".md", ".html", ".json", ".py", ".txt", ".js", ".css", ".xml", ".gz")
# Families whose codes are never written next to their article in one call or tuple.
_FAMILIES = {"content", "front-matter", "trust-root", "signatures"}
# Strings of a code family that are field names, not codes.
_NOT_CODES = {"document.written"}


def finding_codes() -> set[str]:
    """Every finding code in the package: a ``family.name`` string of a family that some
    call or tuple writes next to its article (第N条)."""
    constants: set[str] = set()
    families = set(_FAMILIES)

    def text(node):
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = text(node)
            if value and _CODE.match(value):
                constants.add(value)
            seq = node.args if isinstance(node, ast.Call) else \
                node.elts if isinstance(node, (ast.Tuple, ast.List)) else ()
            for a, b in zip(seq, seq[1:]):
                if text(a) and _CODE.match(text(a)) and (text(b) or "").startswith("第"):
                    families.add(text(a).split(".")[0])
    # A file name (roster.yml) is not a code, but front-matter.yaml is.
    return {c for c in constants if c.split(".")[0] in families
            and (not c.endswith(_NOT_A_CODE_SUFFIX) or c.split(".")[0] in _FAMILIES)} - _NOT_CODES


def test_rules_page_documents_every_finding_code():
    codes = finding_codes()
    # The extraction works: codes from rules, the gate, the record, trust and inputs.
    assert {"signature.missing", "git.forged", "front-matter.missing", "content.mobile",
            "trust-root.unpinned", "site-inputs.changed", "record.absent"} <= codes
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\|\s*`([a-z][a-z0-9.-]*)`", text, re.M))
    missing = sorted(codes - rows)
    assert not missing, f"docs/rules.md has no table row for {missing}"
    stale = sorted(r for r in rows - codes if _CODE.match(r))
    assert not stale, f"docs/rules.md documents codes the package no longer emits: {stale}"


def _rules_table_module():
    spec = importlib.util.spec_from_file_location("rules_table", ROOT / "scripts" / "rules_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_registry_table_is_generated_from_the_code():
    module = _rules_table_module()
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    table = module.table()
    assert "`four_signatures_in_order`" in table and "第十条" in table
    assert module.replace_table(text, table) == text, (
        "docs/rules.md's table of rules is out of date: run .venv/bin/python scripts/rules_table.py")


# -- no reference to a document that does not ship ------------------------------------------

_SKIP_DIRS = {".git", ".venv", "site", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"}
_FORBIDDEN = "SP" + "EC"  # spelt apart so that this file does not mention it either


def _repository_files():
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if any(part in _SKIP_DIRS or part.endswith(".egg-info") or part.startswith(".secrecy-gate-stage")
               for part in rel.parts):
            continue
        if path.is_file():
            yield path


def test_no_file_mentions_an_unshipped_specification():
    offenders = []
    count = 0
    for path in _repository_files():
        count += 1
        data = path.read_bytes()
        if _FORBIDDEN.encode() in data:
            offenders.append(str(path.relative_to(ROOT)))
    assert count > 100, "the walk found almost no files"
    assert not offenders, f"files mentioning {_FORBIDDEN}: {offenders}"


@pytest.mark.parametrize("name", ["build", "test"])
def test_readme_set_up_commands_exist(name):
    """The README's two set-up commands are the scripts that ship."""
    script = ROOT / "scripts" / name
    assert script.is_file() and script.stat().st_mode & 0o111
    assert f"./scripts/{name}" in (ROOT / "README.md").read_text(encoding="utf-8")
