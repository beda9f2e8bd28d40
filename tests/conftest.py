"""Real parts for tests: git repositories with several identities and MkDocs builds.

No mocks of git or MkDocs.  ``Site`` writes a gated MkDocs project into a
temporary directory, commits as different people, signs with the project's
own signing code under each identity's git environment, builds with
MkDocs' own ``build(load_config(...))`` and searches the *whole* output.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

ROSTER = """\
agencies:
  city-office: {name: 示例市人民政府办公室}
  city-secrecy: {name: 示例市国家保密局}
  city-finance: {name: 示例市财政局}
people:
  - name: 王起草
    emails: [drafter@city.gov.cn]
    agency: city-office
    steps: [originator]
  - name: 李科长
    emails: [head@city.gov.cn]
    agency: city-office
    steps: [originator_head]
  - name: 赵保密
    emails: [secrecy@city.gov.cn]
    agency: city-secrecy
    steps: [secrecy_office]
  - name: 陈领导
    emails: [leader@city.gov.cn]
    agency: city-office
    steps: [leader]
  - name: 周财政
    emails: [finance@city.gov.cn]
    agency: city-finance
    steps: [consent]
"""

PEOPLE = {
    "editor": ("网站编辑", "editor@city.gov.cn"),
    "originator": ("王起草", "drafter@city.gov.cn"),
    "originator_head": ("李科长", "head@city.gov.cn"),
    "secrecy_office": ("赵保密", "secrecy@city.gov.cn"),
    "leader": ("陈领导", "leader@city.gov.cn"),
    "consent": ("周财政", "finance@city.gov.cn"),
}

STEPS = ("originator", "originator_head", "secrecy_office", "leader")


def record(disclosure="主动公开", classification="非密", extra="", lead="city-office",
           co="[]", title="测试页面"):
    return textwrap.dedent(f"""\
        ---
        title: {title}
        review:
          classification: {classification}
          disclosure: {disclosure}
          basis: 《中华人民共和国政府信息公开条例》第二十条
          reason: 本机关制定的规范性文件，应当主动公开
          sensitive:
            economic_data: false
            historical_events: false
            pending_cases: false
            cautious_matters: false
            other_risks: false
          third_party: {{involved: false}}
          lead_agency: {lead}
          co_agencies: {co}
        """) + textwrap.dedent(extra) + "---\n"


def page(body: str, **kw) -> str:
    return record(**kw) + "\n" + textwrap.dedent(body)


class Site:
    def __init__(self, root: Path, mkdocs_extra: str = "", plugin_options: str = "",
                 fail_on_withheld: bool = False):
        self.root = root
        self.docs = root / "content"
        self.docs.mkdir(parents=True, exist_ok=True)
        (root / "reviews").mkdir(exist_ok=True)
        (root / "reviews" / "roster.yml").write_text(ROSTER, encoding="utf-8")
        opts = f"      fail_on_withheld: {str(fail_on_withheld).lower()}\n" + plugin_options
        (root / "mkdocs.yml").write_text(
            "site_name: 测试站点\nsite_url: https://example.gov.cn/\ndocs_dir: content\n"
            + mkdocs_extra + "plugins:\n  - search\n  - secrecy-gate:\n" + opts,
            encoding="utf-8")
        self.git("init", "-q", "-b", "main")
        self.git("config", "commit.gpgsign", "false")
        self.commit_all("站点初始化", who="editor")

    # -- git -----------------------------------------------------------------
    def env(self, who: str) -> dict:
        name, email = PEOPLE[who]
        env = dict(os.environ)
        env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
                   GIT_COMMITTER_EMAIL=email)
        return env

    def git(self, *args, who: str = "editor", check=True) -> str:
        proc = subprocess.run(["git", *args], cwd=self.root, env=self.env(who),
                              capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise RuntimeError(f"git {args}: {proc.stderr}")
        return proc.stdout

    def commit_all(self, message: str, who: str = "editor"):
        self.git("add", "-A", who=who)
        self.git("commit", "-q", "--allow-empty", "-m", message, who=who)

    def write(self, rel: str, text: str | bytes, commit: bool = True, who: str = "editor"):
        p = self.docs / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        if commit:
            self.commit_all(f"编辑 {rel}", who=who)
        return p

    # -- review ----------------------------------------------------------------
    def gate_config(self):
        from secrecy_gate.cli import load_gate_config
        return load_gate_config(str(self.root / "mkdocs.yml"))

    def sign(self, rel: str, step: str, opinion: str | None = None, who: str | None = None,
             commit: bool = True):
        from secrecy_gate.signing import sign
        who = who or step
        opinion = opinion or self.disclosure(rel)
        with identity(self.env(who)):
            return sign(self.docs / rel, step, opinion, None, self.gate_config(), commit=commit)

    def consent(self, rel: str, agency: str, who: str = "consent"):
        from secrecy_gate.signing import consent
        with identity(self.env(who)):
            return consent(self.docs / rel, agency, None, self.gate_config())

    def sign_all(self, rel: str, opinion: str | None = None):
        for step in STEPS:
            self.sign(rel, step, opinion)

    def disclosure(self, rel: str) -> str:
        from secrecy_gate.frontmatter import parse
        from secrecy_gate.record import canonical_value
        meta = parse((self.docs / rel).read_bytes()).meta
        return canonical_value("disclosure", meta["review"]["disclosure"])

    def review(self, paths=None):
        from secrecy_gate.gate import Gate
        return Gate(self.gate_config()).review(paths)

    def verdict(self, rel: str):
        return self.review().pages[rel].verdict

    # -- build -----------------------------------------------------------------
    def build(self, dirty=False, strict=False):
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        cfg = load_config(config_file=str(self.root / "mkdocs.yml"), strict=strict)
        cfg.plugins.on_startup(command="build", dirty=dirty)
        try:
            build(cfg, dirty=dirty)
        finally:
            cfg.plugins.on_shutdown()
        return self.root / "site"

    def output_text(self) -> str:
        """Every byte of the output directory, gzip members expanded, as text."""
        chunks = []
        site = self.root / "site"
        for p in sorted(site.rglob("*")) if site.exists() else []:
            if not p.is_file():
                continue
            data = p.read_bytes()
            if p.suffix == ".gz":
                data = gzip.decompress(data)
            chunks.append(f"\n=== {p.relative_to(site)} ===\n")
            chunks.append(data.decode("utf-8", "replace"))
        return "".join(chunks)

    def output_files(self) -> list[str]:
        site = self.root / "site"
        return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())


class identity:
    """Run in-process code (``secrecy_gate.signing``) as a given git identity."""

    KEYS = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.KEYS}
        for k in self.KEYS:
            os.environ[k] = self.env[k]

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path / "site-repo")


@pytest.fixture
def make_site(tmp_path):
    counter = iter(range(1000))

    def make(**kw):
        return Site(tmp_path / f"repo{next(counter)}", **kw)
    return make


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path, monkeypatch):
    """No user or system git config leaks into a test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    for k in identity.KEYS:
        monkeypatch.delenv(k, raising=False)
    (home / ".gitconfig").write_text("[user]\n\tname = Nobody\n\temail = nobody@example.invalid\n"
                                     "[init]\n\tdefaultBranch = main\n")


TODAY = _dt.date.today()
__all__ = ["Site", "page", "record", "PEOPLE", "STEPS", "shutil"]
