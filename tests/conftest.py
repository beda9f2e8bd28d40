"""Real parts for tests: git repositories with several identities and MkDocs builds.

No mocks of git or MkDocs.  ``Site`` writes a gated MkDocs project into a
temporary directory, commits as different people, signs with the project's
own signing code under each identity's git environment, builds with
MkDocs' own ``build(load_config(...))`` and searches the *whole* output.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gzip
import html
import json
import os
import shutil
import subprocess
import textwrap
import urllib.parse
from pathlib import Path

import pytest

ROSTER = """\
version: 1
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
    steps: [secrecy_office, admin]
  - name: 陈领导
    emails: [leader@city.gov.cn]
    agency: city-office
    steps: [leader, admin]
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
    # Not in ROSTER: tests that need them pass DOUBLE_ROSTER as roster_extra.
    "double": ("孙双岗", "double@city.gov.cn"),
}

# A person the roster allows two steps (第十条 still needs four different people).
DOUBLE_ROSTER = """\
  - name: 孙双岗
    emails: [double@city.gov.cn]
    agency: city-office
    steps: [originator_head, secrecy_office]
"""

STEPS = ("originator", "originator_head", "secrecy_office", "leader")


def record(disclosure="主动公开", classification="非密", extra="", lead="city-office",
           co="[]", title="测试页面", review_extra=""):
    """A complete, unsigned record; ``review_extra`` is YAML added inside ``review:``."""
    inside = textwrap.indent(textwrap.dedent(review_extra), "  ")
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
        """) + inside + textwrap.dedent(extra) + "---\n"


def page(body: str, **kw) -> str:
    return record(**kw) + "\n" + textwrap.dedent(body)


def ssh_roster(roster: str = ROSTER, skip=()) -> str:
    """``roster`` with each person's TEST ONLY public key (tests/sshkeys.py) under ``keys``."""
    import sshkeys
    out = []
    for line in roster.splitlines():
        out.append(line)
        if line.startswith("    emails: ["):
            email = line.split("[", 1)[1].split("]", 1)[0]
            who = next(w for w, (_, e) in PEOPLE.items() if e == email)
            if who not in skip:
                out.append(f"    keys: [{sshkeys.public_line(who)}]")
    return "\n".join(out) + "\n"


class Site:
    def __init__(self, root: Path, mkdocs_extra: str = "", plugin_options: str = "",
                 fail_on_withheld: bool = False, roster_extra: str = "", roster: str = ROSTER,
                 auto_inputs: bool = True, ssh: bool = False):
        self.root = root
        # signatures: ssh — each person signs with their TEST ONLY key (tests/sshkeys.py).
        self.ssh = ssh
        if ssh:
            roster = ssh_roster(roster)
            plugin_options = "      signatures: ssh\n" + plugin_options
        # Have the administrators approve the build inputs whenever a test changed them
        # (mkdocs.yml, nav titles, registers, assets), so that each test judges what it is
        # about; tests of the inputs' own rules switch this off.
        self.auto_inputs = auto_inputs
        self.docs = root / "content"
        self._gate_config = None
        self.docs.mkdir(parents=True, exist_ok=True)
        (root / "reviews").mkdir(exist_ok=True)
        (root / "reviews" / "roster.yml").write_text(roster + roster_extra, encoding="utf-8")
        opts = f"      fail_on_withheld: {str(fail_on_withheld).lower()}\n" + plugin_options
        (root / "mkdocs.yml").write_text(
            "site_name: 测试站点\nsite_url: https://example.gov.cn/\ndocs_dir: content\n"
            + mkdocs_extra + "plugins:\n  - search\n  - secrecy-gate:\n" + opts,
            encoding="utf-8")
        self.git("init", "-q", "-b", "main")
        self.git("config", "commit.gpgsign", "false")
        self.commit_all("站点初始化", who="editor")
        try:
            self.approve_inputs()
        except Exception:  # noqa: BLE001 - inputs that cannot be listed yet (a hook the test
            pass  # writes next, an option the test means to be refused): no record yet

    @classmethod
    def clone(cls, source: "Site", dest: Path, *git_args: str) -> "Site":
        """``git clone file://source dest`` (e.g. ``--depth 1``), as a Site to build."""
        subprocess.run(["git", "clone", "-q", *git_args, source.root.as_uri(), str(dest)],
                       check=True, capture_output=True)
        site = cls.__new__(cls)
        site.root, site.docs, site._gate_config, site.auto_inputs = dest, dest / "content", None, False
        return site

    # -- git -----------------------------------------------------------------
    def env(self, who: str) -> dict:
        name, email = PEOPLE[who]
        env = dict(os.environ)
        env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
                   GIT_COMMITTER_EMAIL=email)
        if getattr(self, "ssh", False):
            import sshkeys
            keyname = getattr(self, "keys_of", {}).get(who, who)  # a test's rotated key
            env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="user.signingKey",
                       GIT_CONFIG_VALUE_0=str(sshkeys.key(keyname)[2]))
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
        # Loading mkdocs.yml costs more than a signature: reload only when the file changed.
        text = (self.root / "mkdocs.yml").read_text(encoding="utf-8")
        if self._gate_config is None or self._gate_config[0] != text:
            from secrecy_gate.cli import load_gate_config
            self._gate_config = (text, load_gate_config(str(self.root / "mkdocs.yml")))
        return self._gate_config[1]

    def set_mkdocs_yml(self, text: str, approve: bool = True):
        """Write mkdocs.yml; with ``approve``, commit it and have the build inputs approved (as
        administrators would after checking the change)."""
        (self.root / "mkdocs.yml").write_text(text, encoding="utf-8")
        if approve:
            self.commit_all("mkdocs.yml")
            try:
                self.approve_inputs()
            except Exception:  # noqa: BLE001 - a configuration the test means to be refused
                pass

    def add_hook(self, code: str, approve: bool = True):
        """An MkDocs hook (another plugin, in effect) with this Python code, committed — and,
        with ``approve``, approved by the administrators as a build input."""
        (self.root / "hook.py").write_text(code, encoding="utf-8")
        cfg = (self.root / "mkdocs.yml").read_text(encoding="utf-8")
        self.set_mkdocs_yml("hooks:\n  - hook.py\n" + cfg, approve=False)
        self.commit_all("hook")
        if approve:
            self.approve_inputs()

    def _inputs_now(self) -> tuple[dict, str]:
        from secrecy_gate.core import frontmatter
        from secrecy_gate.review import inputs
        titles = {}
        for p in self.docs.rglob("*.md"):
            try:
                title = frontmatter.parse(p.read_bytes()).meta.get("title")
            except (frontmatter.FrontMatterError, OSError):
                continue
            if isinstance(title, str):
                titles[p.relative_to(self.docs).as_posix()] = title
        current = inputs.site_inputs(*self.gate_config().site, titles)
        return current, inputs.record_digest(current)

    def refresh_inputs(self) -> None:
        """Approve the build inputs again if a test changed them (see ``auto_inputs``)."""
        from secrecy_gate.review import inputs
        if not getattr(self, "auto_inputs", False):
            return
        try:
            recorded, _ = inputs.load_record(self.gate_config().inputs_record)
            if inputs.record_digest(recorded) == self._inputs_now()[1]:
                return
        except Exception:  # noqa: BLE001 - no record, or inputs that cannot be listed
            pass
        try:
            self.approve_inputs()
        except Exception:  # noqa: BLE001 - the review reports what is wrong with them
            pass

    def approve_inputs(self, approvers=("secrecy_office", "leader")):
        """Record the build inputs as they are now (reviews/site.yml, committed by the editor)
        and have ``approvers`` approve the record, each in a commit of their own — what
        `secrecy-gate inputs --record` and `secrecy-gate approve inputs` write, without a
        whole review per step (tests/test_site_inputs.py runs the real commands)."""
        from secrecy_gate.desk.approve import write_approval
        from secrecy_gate.review import inputs
        gc = self.gate_config()
        current, digest = self._inputs_now()
        path = gc.inputs_record
        inputs.write_record(path, current)
        self.git("add", str(path))
        self.git("commit", "-q", "-m", "记录构建输入")
        for who in approvers:
            entry = {"name": PEOPLE[who][0], "date": _dt.date.today(), "digest": digest}
            if gc.signatures == "ssh":
                import sshkeys
                entry["sshsig"] = sshkeys.sign_approval(who, "inputs", entry["name"], entry["date"],
                                                        digest)
            path.write_text(write_approval(path, path.read_text(encoding="utf-8"), entry, digest),
                            encoding="utf-8")
            self.git("add", str(path), who=who)
            self.git("commit", "-q", "-m", "构建输入 管理员批准", who=who)

    def sign(self, rel: str, step: str, opinion: str | None = None, who: str | None = None,
             commit: bool = True):
        from secrecy_gate.desk.signing import sign
        who = who or step
        opinion = opinion or self.disclosure(rel)
        with identity(self.env(who)):
            return sign(self.docs / rel, step, opinion, None, self.gate_config(), commit=commit,
                        signer=_signer())

    def change_roster(self, text: str, who: str = "editor", approvers=("secrecy_office", "leader")):
        """Commit ``text`` as the roster (it must carry the next ``version``), then have each of
        ``approvers`` approve it with the project's own ``approve roster``."""
        from secrecy_gate.desk.approve import approve_roster
        (self.root / "reviews" / "roster.yml").write_text(text, encoding="utf-8")
        self.commit_all("名册变更", who=who)
        for approver in approvers:
            with identity(self.env(approver)):
                approve_roster(self.gate_config(), signer=_signer())

    def roster_text(self) -> str:
        return (self.root / "reviews" / "roster.yml").read_text(encoding="utf-8")

    def consent(self, rel: str, agency: str, who: str = "consent"):
        from secrecy_gate.desk.signing import consent
        with identity(self.env(who)):
            return consent(self.docs / rel, agency, None, self.gate_config(), signer=_signer())

    def add_entry(self, rel: str, entry: dict, kind: str = "signatures", who: str = "editor",
                  commit: bool = True, index: int | None = None, digest: str | None = None):
        """Hand-write a signature or consent entry (as a forger would), digest of the page as is."""
        from secrecy_gate.core.digest import page_digest
        from secrecy_gate.core.frontmatter import parse
        from secrecy_gate.desk.signing import _flow, _rewrite
        p = self.docs / rel
        text = p.read_text(encoding="utf-8")
        doc = parse(text)
        entry = dict(entry)
        entry.setdefault("digest", digest or page_digest(doc.meta, doc.body))

        def mutate(data):
            items = data["review"].get(kind)
            if items is None:
                data["review"][kind] = items = []
            if index is None:
                items.append(_flow(entry))
            else:
                items.insert(index, _flow(entry))
        p.write_text(_rewrite(text, mutate), encoding="utf-8")
        if commit:
            self.commit_all(f"{kind} {rel}", who=who)

    def sign_all(self, rel: str, opinion: str | None = None):
        for step in STEPS:
            self.sign(rel, step, opinion)

    def disclosure(self, rel: str) -> str:
        from secrecy_gate.core.frontmatter import parse
        from secrecy_gate.core.record import canonical_value
        meta = parse((self.docs / rel).read_bytes()).meta
        return canonical_value("disclosure", meta["review"]["disclosure"])

    def review(self, paths=None):
        from secrecy_gate.review.gate import Gate
        self.refresh_inputs()
        return Gate(self.gate_config()).review(paths)

    def verdict(self, rel: str):
        return self.review().pages[rel].verdict

    # -- build -----------------------------------------------------------------
    def build(self, dirty=False, strict=False):
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        self.refresh_inputs()
        cfg = load_config(config_file=str(self.root / "mkdocs.yml"), strict=strict)
        cfg.plugins.on_startup(command="build", dirty=dirty)
        try:
            build(cfg, dirty=dirty)
        finally:
            cfg.plugins.on_shutdown()
        return self.root / "site"

    def output_text(self) -> str:
        """Every byte of the output directory, gzip members expanded, as text.

        Text is also given decoded the ways a leak could be encoded: JSON ``\\uXXXX``
        escapes (the search index), HTML entities and URL percent-encoding.
        """
        chunks = []
        site = self.root / "site"
        for p in sorted(site.rglob("*")) if site.exists() else []:
            if not p.is_file():
                continue
            data = p.read_bytes()
            if p.suffix == ".gz":
                data = gzip.decompress(data)
            text = data.decode("utf-8", "replace")
            chunks.append(f"\n=== {p.relative_to(site)} ===\n")
            chunks.append(text)
            decoded = [html.unescape(text), urllib.parse.unquote(text)]
            if p.suffix == ".json":
                try:
                    decoded.append(json.dumps(json.loads(text), ensure_ascii=False))
                except ValueError:
                    pass
            for d in decoded:
                if d != text:
                    chunks.append(f"\n=== {p.relative_to(site)} (decoded) ===\n{d}")
        return "".join(chunks)

    def output_files(self) -> list[str]:
        site = self.root / "site"
        if not site.exists():
            return []
        return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())

    def assert_absent(self, *texts: str):
        """None of ``texts`` appears in any output file (gzip expanded) or output file name."""
        out = self.output_text()
        names = "\n".join(self.output_files())
        names += "\n" + urllib.parse.unquote(names)
        for t in texts:
            assert t not in out, f"{t!r} leaked into the output"
            assert t not in names, f"{t!r} leaked into an output file name"


def _signer():
    import sshkeys
    return sshkeys.signer()


class identity:
    """Run in-process code (``secrecy_gate.desk.signing``) as a given git identity."""

    KEYS = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")
    # An ssh Site's identities also carry git's user.signingKey (tests/sshkeys.py).
    OPTIONAL = ("GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0")

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in (*self.KEYS, *self.OPTIONAL)}
        for k in self.KEYS:
            os.environ[k] = self.env[k]
        for k in self.OPTIONAL:
            if k in self.env:
                os.environ[k] = self.env[k]
            else:
                os.environ.pop(k, None)

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


@contextlib.contextmanager
def isolated_git(home: Path):
    """No user or system git config leaks in; usable from fixtures of any scope."""
    with pytest.MonkeyPatch.context() as mp:
        home.mkdir(parents=True, exist_ok=True)
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.delenv("GIT_DIR", raising=False)
        mp.delenv("GIT_WORK_TREE", raising=False)
        for k in identity.KEYS:
            mp.delenv(k, raising=False)
        (home / ".gitconfig").write_text("[user]\n\tname = Nobody\n\temail = nobody@example.invalid\n"
                                         "[init]\n\tdefaultBranch = main\n")
        yield


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path):
    with isolated_git(tmp_path / "home"):
        yield


TODAY = _dt.date.today()
__all__ = ["Site", "page", "record", "PEOPLE", "STEPS", "DOUBLE_ROSTER", "isolated_git", "shutil"]


# -- a real browser (Debian's chromium) ------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# CI (.ci/run) installs chromium and sets SG_REQUIRE_BROWSER=1, so there a
# missing browser fails the test instead of skipping it.
needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("SG_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless chromium with nothing that reaches the network; ``args`` end with the URL."""
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=300, check=True)
