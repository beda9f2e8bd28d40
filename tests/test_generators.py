"""`secrecy-gate build` with every generator: Zensical, ProperDocs and plain MkDocs on the
approved-only tree.  Each generator is the real one, installed from the package index
(the test extra); the whole output is searched for what must be absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import Site, page

REPO = Path(__file__).resolve().parents[1]
GENERATORS = ("zensical", "properdocs", "mkdocs")
SEARCH_INDEX = {"zensical": "search.json", "properdocs": "search/search_index.json",
                "mkdocs": "search/search_index.json"}


# The console script, as CI runs it: `python -m secrecy_gate.cli` from a site's directory would
# put that directory first on sys.path (see test_compiled_module_beside_mkdocs_yml_is_a_build_input).
SECRECY_GATE = str(Path(sys.executable).with_name("secrecy-gate"))


def gate(*args, cwd: Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([SECRECY_GATE, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def left_behind(root: Path) -> list[str]:
    """Stage directories or generated configurations still in the site's directory."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".secrecy-gate-stage-"))


def search_locations(site: Path, generator: str) -> set[str]:
    data = json.loads((site / SEARCH_INDEX[generator]).read_text(encoding="utf-8"))
    items = data.get("items") or data.get("docs")
    return {item["location"].split("#")[0] for item in items}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A clone of this repository's own sample site, and what `check` says of its pages."""
    clone = tmp_path_factory.mktemp("generators") / "sample"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    checked = json.loads(gate("check", "--format", "json", cwd=clone).stdout)
    published = {p["page"] for p in checked["pages"] if p["outcome"] in ("publish", "publish_redacted")}
    withheld = {p["page"] for p in checked["pages"]} - published
    assert published and withheld
    return clone, published, withheld


def distinctive_lines(path: Path) -> list[str]:
    """Long prose lines of a page's body (not front matter, headings or lists)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.startswith("---"):
        text = text.split("\n---", 2)[-1]
    return [line.strip() for line in text.splitlines()
            if len(line.strip()) >= 12 and not line.lstrip().startswith(("#", "-", "|", ">", "<", "!"))]


def url_of(path: str) -> str:
    stem = path.rsplit(".", 1)[0]
    return "" if stem == "index" else (stem[:-len("index")] if stem.endswith("/index") else stem + "/")


@pytest.mark.parametrize("generator", GENERATORS)
def test_sample_site_publishes_exactly_the_approved_pages(sample, generator):
    clone, published, withheld = sample
    run = gate("build", "--generator", generator, cwd=clone)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"generator {generator}" in run.stderr
    # The same summary as the plugin's.
    assert "secrecy-gate 保密审查：发布" in run.stderr and "decision.withheld（第五条）" in run.stderr
    out = clone / "site"
    for path in published:
        stem = path.rsplit(".", 1)[0]
        html = out / ("index.html" if stem == "index" else f"{stem}/index.html")
        assert html.is_file(), path
    for path in withheld:
        assert not (out / path.rsplit(".", 1)[0]).exists(), path
    # The search index holds the published pages (and the catalogue), nothing else.
    locations = search_locations(out, generator)
    assert {url_of(p) for p in published} <= locations
    assert locations - {url_of(p) for p in published} <= {"gkml/"}
    site = Site.__new__(Site)
    site.root = clone
    text = site.output_text()
    for path in withheld:
        for line in distinctive_lines(clone / "content" / path):
            assert line not in text, (generator, path, line)
    # The withheld draft's nav title is pruned; its review record never reaches a page.
    site.assert_absent("草稿（未审查，应被撤下）", "signatures:", "secrecy_office")
    # The catalogue and the metadata tables are there without the plugin.
    assert "sg-catalogue" in (out / "gkml" / "index.html").read_text(encoding="utf-8")
    assert left_behind(clone) == []
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True)
    assert status.stdout.strip() == "", status.stdout


def test_switching_generator_is_one_changed_command_line(sample):
    """The same command, another --generator: the same set of published pages."""
    clone, published, _ = sample
    pages = {}
    for generator in ("mkdocs", "zensical"):
        assert gate("build", "--generator", generator, cwd=clone).returncode == 0
        pages[generator] = {p.parent.relative_to(clone / "site").as_posix()
                            for p in (clone / "site").rglob("index.html")}
    assert pages["mkdocs"] == pages["zensical"]


def test_plain_zensical_would_publish_the_withheld_pages(sample, tmp_path):
    """Why the command exists: Zensical runs no MkDocs plugin (and check says so of a CI line)."""
    clone, _, withheld = sample
    copy = tmp_path / "plain"
    subprocess.run(["git", "clone", "-q", str(clone), str(copy)], check=True, capture_output=True)
    run = subprocess.run([sys.executable, "-m", "zensical", "build", "--clean"], cwd=copy,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert any((copy / "site" / p.rsplit(".", 1)[0]).exists() for p in withheld)
    (copy / ".github" / "workflows").mkdir(parents=True)
    (copy / ".github" / "workflows" / "pages.yml").write_text(
        "jobs:\n  build:\n    steps:\n      - run: pip install zensical\n      - run: zensical build --clean\n",
        encoding="utf-8")
    check = gate("check", cwd=copy)
    assert check.returncode == 1
    assert ".github/workflows/pages.yml:5" in check.stdout
    assert "secrecy-gate build --generator zensical" in check.stdout


# --- Sites made for the case ------------------------------------------------------------------

PUBLIC = "已审查的公开正文甲子"
SECRET = "未经审查的内部正文乙丑"


def small_site(make_site, **kw) -> Site:
    site = make_site(mkdocs_extra="theme:\n  name: material\n", **kw)
    site.write("index.md", page(f"# 首页\n\n{PUBLIC}。\n"))
    site.sign_all("index.md")
    site.write("secret.md", page(f"# 内部\n\n{SECRET}。\n", disclosure="不予公开"))
    site.sign_all("secret.md")
    site.refresh_inputs()
    return site


def test_material_blog_through_the_staged_tree(make_site):
    """Material's blog reads its posts itself: from the staged tree it finds only signed ones,
    and their archive and category pages are published."""
    site = make_site(mkdocs_extra="theme:\n  name: material\n")
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg.replace("plugins:\n  - search\n", "plugins:\n  - search\n  - blog\n"))
    site.write("index.md", page("# 首页\n\n首页正文。\n"))
    site.write("blog/index.md", page("# 新闻动态\n"))
    for n in (1, 2):
        site.write(f"blog/posts/p{n}.md", page(f"# 已审查的新闻{n}\n\n已审查的新闻正文丙寅{n}。\n",
                                               extra=f"date: 2026-11-0{n}\ncategories: [通知公告]\n"))
    for rel in ("index.md", "blog/index.md", "blog/posts/p1.md", "blog/posts/p2.md"):
        site.sign_all(rel)
    site.write("blog/posts/p3.md", "---\ndate: 2026-11-03\ncategories: [内部]\n---\n\n"
                                   "# 未审查的新闻标题丁卯\n\n未审查的新闻正文戊辰。\n")
    site.refresh_inputs()
    run = gate("build", "--generator", "mkdocs", cwd=site.root)
    assert run.returncode == 0, run.stdout + run.stderr
    files = site.output_files()
    text = site.output_text()
    assert "已审查的新闻正文丙寅1" in text and "已审查的新闻正文丙寅2" in text
    assert any(f.startswith("blog/archive/2026") for f in files), files
    assert any(f.startswith("blog/category/") for f in files), files
    site.assert_absent("未审查的新闻标题丁卯", "未审查的新闻正文戊辰")
    assert not any("p3" in f or "内部" in f for f in files), files


def test_leak_in_the_output_removes_it(make_site):
    """An (approved) hook copies the withheld page into the output: the scan finds it, the
    output is removed, and so is the old site that was in site_dir."""
    site = small_site(make_site)
    site.add_hook(
        "import pathlib\n"
        "def on_post_build(config):\n"
        "    src = pathlib.Path(config.config_file_path).parent / 'content' / 'secret.md'\n"
        "    pathlib.Path(config.site_dir, 'copy.txt').write_text(src.read_text('utf-8'), 'utf-8')\n")
    (site.root / "site").mkdir()
    (site.root / "site" / "old.html").write_text("旧的输出", encoding="utf-8")
    run = gate("build", "--generator", "mkdocs", cwd=site.root)
    assert run.returncode == 1
    assert "leaked-text" in run.stderr and "copy.txt" in run.stderr
    assert not (site.root / "site").exists()
    assert left_behind(site.root) == []


def test_failing_generator_leaves_no_site(make_site):
    site = small_site(make_site)
    site.add_hook("def on_post_build(config):\n    raise RuntimeError('钩子失败')\n")
    (site.root / "site").mkdir()
    (site.root / "site" / "old.html").write_text("旧的输出", encoding="utf-8")
    run = gate("build", "--generator", "mkdocs", cwd=site.root)
    assert run.returncode == 1
    assert "生成器以状态" in run.stderr and "the generator exited with status" in run.stderr
    assert "钩子失败" in run.stderr  # the generator's own output is shown
    assert not (site.root / "site").exists()
    assert left_behind(site.root) == []


def test_generator_that_is_not_installed(make_site):
    from secrecy_gate.build import pipeline
    from secrecy_gate.cli import load_site_config, gate_config_of
    site = small_site(make_site)
    cfg, options = load_site_config(str(site.root / "mkdocs.yml"))
    missing = pipeline.Generator("nosuchgen", "nosuch_generator_module", "nosuchgen")
    with pytest.raises(pipeline.BuildError) as exc:
        pipeline.gated_build(cfg, options, gate_config_of(cfg, options), missing)
    assert exc.value.exit_code == 2
    assert "pip install 'nosuchgen'" in exc.value.render()
    assert not (site.root / "site").exists()
    run = gate("build", "--generator", "hugo", cwd=site.root)
    assert run.returncode == 2 and "hugo" in run.stderr


def test_unknown_generator_from_the_environment(make_site):
    site = small_site(make_site)
    run = gate("build", cwd=site.root, env=dict(os.environ, SECRECY_GATE_GENERATOR="jekyll"))
    assert run.returncode == 2
    assert "不认识的生成器 'jekyll'" in run.stderr and "unknown generator 'jekyll'" in run.stderr


def test_docs_dir_outside_the_site(make_site, tmp_path):
    site = small_site(make_site)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg.replace("docs_dir: content", f"docs_dir: {outside}"), approve=False)
    run = gate("build", "--generator", "zensical", cwd=site.root)
    assert run.returncode == 2
    assert "docs_dir" in run.stderr and "outside the site's directory" in run.stderr
    assert not (site.root / "site").exists()


def test_unapproved_inputs_build_nothing(make_site):
    site = small_site(make_site)
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg.replace("site_name: 测试站点", "site_name: 改过的站点"), approve=False)
    site.commit_all("改站点名")
    run = gate("build", "--generator", "zensical", cwd=site.root)
    assert run.returncode == 1
    assert "site-inputs.changed" in run.stderr
    assert not (site.root / "site").exists()


def test_unreviewed_page_fails_the_build_as_the_plugin_does(make_site):
    site = small_site(make_site, fail_on_withheld=True)
    site.write("draft.md", "# 草稿\n\n草稿正文己巳。\n")
    run = gate("build", "--generator", "zensical", cwd=site.root)
    assert run.returncode == 1
    assert "draft.md" in run.stderr
    assert not (site.root / "site").exists()


def test_configuration_keeps_tags_and_plugins_but_not_the_gate(make_site):
    """The generator's configuration is the site's own: `!!python/name:` tags and `!ENV`
    kept, other plugins kept (mapping form too), the gate's plugin removed."""
    site = make_site(mkdocs_extra=(
        "theme:\n  name: material\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "      emoji_generator: !!python/name:material.extensions.emoji.to_svg\n"
        "copyright: !ENV [SITE_COPYRIGHT, 默认版权]\n"))
    site.write("index.md", page(f"# 首页\n\n{PUBLIC} :smile:\n"))
    site.sign_all("index.md")
    site.refresh_inputs()
    run = gate("build", "--generator", "mkdocs", cwd=site.root,
               env=dict(os.environ, SITE_COPYRIGHT="环境变量版权庚午"))
    assert run.returncode == 0, run.stderr
    html = (site.root / "site" / "index.html").read_text(encoding="utf-8")
    assert "环境变量版权庚午" in html and "<svg" in html

    from secrecy_gate.build.pipeline import generator_config
    (site.root / "mkdocs.yml").write_text(
        "site_name: x\nplugins:\n  search: {}\n  secrecy-gate: {fail_on_withheld: false}\n  tags: {}\n",
        encoding="utf-8")
    data = generator_config(site.root / "mkdocs.yml", Path("d"), Path("s"), None)
    assert data["plugins"] == {"search": {}, "tags": {}}
    assert (data["docs_dir"], data["site_dir"]) == ("d", "s")


def test_stage_command_writes_the_approved_tree_and_a_configuration(make_site, tmp_path):
    site = small_site(make_site)
    site.write("cut.md", page("# 删减\n\n公开部分辛未。\n\n<!-- 密点 -->内部测算数据壬申<!-- /密点 -->\n",
                              disclosure="删减后公开", review_extra="redactions: 1\n"))
    site.sign_all("cut.md")
    site.refresh_inputs()
    out = tmp_path / "approved"
    run = gate("stage", str(out), cwd=site.root)
    assert run.returncode == 0, run.stderr
    staged = sorted(p.relative_to(out / "docs").as_posix() for p in (out / "docs").rglob("*") if p.is_file())
    assert staged == ["cut.md", "index.md"]
    text = "".join(p.read_text(encoding="utf-8") for p in (out / "docs").rglob("*.md"))
    assert "review:" not in text and "signatures" not in text
    assert "公开部分辛未" in text and "内部测算数据壬申" not in text and SECRET not in text
    config = yaml.safe_load((out / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["docs_dir"] == "docs" and "secrecy-gate" not in str(config["plugins"])
    # Any generator builds it; verify-site checks what it built.
    built = subprocess.run([sys.executable, "-m", "zensical", "build", "--clean", "-f", "mkdocs.yml"],
                           cwd=out, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    verify = gate("verify-site", str(out / "site"), cwd=site.root)
    assert verify.returncode == 0, verify.stdout
    # Not into docs_dir, not into a directory that holds something.
    assert gate("stage", str(site.root / "content" / "out"), cwd=site.root).returncode == 2
    assert gate("stage", str(out), cwd=site.root).returncode == 2


def test_init_names_the_silent_build_and_its_replacement(make_site):
    site = small_site(make_site)
    ci = site.root / ".gitlab-ci.yml"
    ci.write_text("pages:\n  script:\n    - pip install zensical\n    - zensical build -f mkdocs.yml\n"
                  "    # properdocs build (a comment)\n", encoding="utf-8")
    run = gate("init", "--dry-run", cwd=site.root)
    assert run.returncode == 1
    assert ".gitlab-ci.yml:4" in run.stdout
    assert "secrecy-gate build --generator zensical -f mkdocs.yml" in run.stdout
    assert ".gitlab-ci.yml:5" not in run.stdout


def test_site_dir_symlink_is_replaced_not_followed(make_site, tmp_path):
    """A committed `site -> elsewhere` link: the build removes the link, never what it points to."""
    site = small_site(make_site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("别处的文件", encoding="utf-8")
    (site.root / "site").symlink_to(elsewhere, target_is_directory=True)
    run = gate("build", "--generator", "mkdocs", cwd=site.root)
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "keep.txt").is_file()
    assert not (site.root / "site").is_symlink() and (site.root / "site" / "index.html").is_file()


# --- Routes found by the red team -----------------------------------------------------------

EVIL = ("import pathlib\n"
        "pathlib.Path('hijacked.txt').write_text('the generator was replaced', encoding='utf-8')\n")


def test_generator_runs_as_its_own_command_not_from_the_site_directory(tmp_path):
    """`python -m zensical` from the site's directory would import a committed
    `zensical.py`/`.pyc` there instead of Zensical: the generator runs as its command."""
    from secrecy_gate.build import pipeline
    (tmp_path / "zensical.py").write_text(EVIL, encoding="utf-8")
    import py_compile
    py_compile.compile(str(tmp_path / "zensical.py"), cfile=str(tmp_path / "mkdocs.pyc"))
    for name in ("zensical", "mkdocs"):
        command = pipeline.GENERATORS[name].command()
        subprocess.run([*command, "--help"], cwd=tmp_path, capture_output=True, timeout=300)
        assert not (tmp_path / "hijacked.txt").exists(), command


@pytest.mark.parametrize("where", ["zensical.pyc", "mkdocs.pyc", "yaml.cpython-311-x86_64-linux-gnu.so",
                                   "pkg/__init__.pyc"])
def test_compiled_module_beside_mkdocs_yml_is_a_build_input(make_site, where):
    """A module without source beside mkdocs.yml shadows an installed one under `python -m`:
    it is a build input, and unapproved it stops every build."""
    site = small_site(make_site)
    target = site.root / where
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"\x00compiled\x00")
    site.commit_all("构建缓存")
    run = gate("build", "--generator", "mkdocs", cwd=site.root)
    assert run.returncode == 1
    assert "site-inputs.changed" in run.stderr and where.split("/")[0] in run.stderr
    assert not (site.root / "site").exists()


def test_unchecked_pyc_standing_in_for_an_approved_hook_is_a_build_input(make_site):
    """Python runs an "unchecked hash" .pyc in __pycache__ instead of its source: committing
    one replaces an approved hook's code, so it is an input; the .pyc files Python writes
    itself (timestamp-based) are not."""
    import importlib.util
    import py_compile
    site = small_site(make_site)
    site.add_hook("def on_config(config):\n    return config\n")
    cache = site.root / "__pycache__"
    py_compile.compile(str(site.root / "hook.py"), cfile=str(cache / f"hook.{sys.implementation.cache_tag}.pyc"))
    site.commit_all("时间戳 pyc")
    assert gate("check", cwd=site.root).returncode == 0  # Python's own kind: not an input
    py_compile.compile(str(site.root / "hook.py"), cfile=str(cache / f"hook.{sys.implementation.cache_tag}.pyc"),
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    site.commit_all("unchecked pyc")
    run = gate("build", "--generator", "mkdocs", cwd=site.root)
    assert run.returncode == 1 and "__pycache__" in run.stderr, run.stderr
    assert importlib.util.MAGIC_NUMBER  # (the flags word checked is the one after the magic)


@pytest.mark.parametrize("args", [["--generator", "bogus"], []])
def test_usage_errors_leave_no_old_site(make_site, args):
    site = small_site(make_site)
    (site.root / "site" / "drafts").mkdir(parents=True)
    (site.root / "site" / "drafts" / "index.html").write_text("未经门禁构建的旧输出", encoding="utf-8")
    env = dict(os.environ, SECRECY_GATE_GENERATOR="bogus")
    run = gate("build", *args, cwd=site.root, env=env)
    assert run.returncode == 2
    assert not (site.root / "site").exists()


def test_detector_reads_split_quoted_and_versioned_commands(make_site):
    site = small_site(make_site)
    (site.root / "plain.yml").write_text("site_name: x\nplugins:\n  - search\n", encoding="utf-8")
    wf = site.root / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_text(
        "jobs:\n  b:\n    steps:\n"
        "      - run: |\n          zensical \\\n            build\n"       # 5: a continuation
        "      - run: \"'zensical' build\"\n"                              # 7: quoted
        "      - run: uvx zensical@latest build\n"                        # 8: a version
        "      - run: >\n          properdocs\n          gh-deploy\n"     # 10: folded YAML
        "      - run: python -m mkdocs build -f plain.yml\n"              # 12: a config without the gate
        "      - run: mkdocs build\n"                                     # 13: mkdocs.yml, gated
        "      - run: secrecy-gate build --generator zensical\n",         # 14: the gated line
        encoding="utf-8")
    (site.root / "scripts").mkdir()
    (site.root / "scripts" / "deploy").write_text("#!/bin/sh\nzensical build\n", encoding="utf-8")
    check = gate("check", "--format", "json", cwd=site.root)
    assert check.returncode == 1
    found = {(u["path"], u["line"]) for u in json.loads(check.stdout)["ungated_builds"]}
    assert found == {(".github/workflows/a.yml", n) for n in (5, 7, 8, 10, 12)} | {("scripts/deploy", 2)}
