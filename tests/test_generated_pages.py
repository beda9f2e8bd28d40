"""Pages and files other plugins generate: published when made from approved content, refused
by path or source when they would put a withheld page back (build/generated.py).

Each attack below is a hook the administrators approved (build inputs are approved before
any build): a naive "publish everything generated" would publish what it generates.
"""

from __future__ import annotations

import logging
import os

import pytest
from mkdocs.exceptions import Abort

from conftest import page

SECRET = "生成测试的不予公开正文壬癸"
SECRET_TITLE = "生成测试的内部标题"
FORGED = "钩子写入的替代正文庚辛"
GATE_LOG = "mkdocs.plugins.secrecy_gate"


def base_site(make_site, **kw):
    site = make_site(**kw)
    site.write("index.md", page("# 首页\n\n公开首页正文。\n"))
    site.write("about.md", page("# 关于\n\n已审查的关于页正文。\n"))
    site.sign_all("index.md")
    site.sign_all("about.md")
    site.write("drafts/secret.md", page(f"# {SECRET_TITLE}\n\n{SECRET}。\n", title=SECRET_TITLE))
    return site


def generating_hook(uri: str, content: str | None = None, source: str | None = None) -> str:
    """A hook that appends one generated page in on_files; ``source``: an expression for its
    abs_src_path (``real`` is the real docs_dir, ``root`` the site's directory)."""
    return ("from pathlib import Path\n"
            "from mkdocs.structure.files import File\n"
            "def on_files(files, config):\n"
            "    root = Path(config.config_file_path).parent\n"
            "    real = root / 'content'\n"
            + (f"    files.append(File.generated(config, {uri!r}, content={content!r}))\n" if source is None else
               f"    files.append(File.generated(config, {uri!r}, abs_src_path=str({source})))\n")
            + "    return files\n")


def built(site, caplog) -> str:
    with caplog.at_level(logging.INFO, logger=GATE_LOG):
        site.build()
    return caplog.text


@pytest.mark.parametrize("uri", ["drafts/secret.md", "drafts/secret/index.md", "Drafts/SECRET.md"])
def test_a_hook_generating_a_page_at_a_withheld_pages_path_is_refused(make_site, caplog, uri):
    """Same source path, same output path, or the same path in other case: the withheld
    page's URL gets no page at all, whatever text the hook made."""
    site = base_site(make_site)
    site.add_hook(generating_hook(uri, f"# 伪造\n\n{FORGED}。\n"))
    log = built(site, caplog)
    assert "公开首页正文" in (site.root / "site" / "index.html").read_text(encoding="utf-8")
    site.assert_absent(FORGED, SECRET, SECRET_TITLE)
    assert not any(f.lower().startswith("drafts/") for f in site.output_files())
    assert "path.withheld" in log and uri in log


@pytest.mark.parametrize("uri", ["about/index.md", "gkml/index.md", "About.md"])
def test_a_hook_generating_over_an_approved_pages_output_is_refused(make_site, caplog, uri):
    """A generated page must not overwrite an approved page's output, nor the catalogue's."""
    site = base_site(make_site)
    site.add_hook(generating_hook(uri, f"# 伪造\n\n{FORGED}。\n"))
    log = built(site, caplog)
    assert "已审查的关于页正文" in (site.root / "site" / "about" / "index.html").read_text(encoding="utf-8")
    site.assert_absent(FORGED)
    assert "path.taken" in log


def test_a_generated_page_read_from_a_withheld_page_file_is_refused(make_site, caplog):
    """abs_src_path on the withheld page itself: MkDocs would read the original file."""
    site = base_site(make_site)
    site.add_hook(generating_hook("news/copy.md", source="real / 'drafts' / 'secret.md'"))
    log = built(site, caplog)
    assert "已审查的关于页正文" in site.output_text()
    site.assert_absent(SECRET, SECRET_TITLE)
    assert "news/copy/index.html" not in site.output_files()
    assert "source.docs" in log


def test_a_generated_page_through_a_symlink_to_a_withheld_page_is_refused(make_site, caplog, tmp_path):
    """The link lies outside the site; where it leads is what counts."""
    site = base_site(make_site)
    link = tmp_path / "elsewhere" / "copy.md"
    link.parent.mkdir()
    os.symlink(site.docs / "drafts" / "secret.md", link)
    site.add_hook(generating_hook("news/copy.md", source=f"Path({str(link)!r})"))
    log = built(site, caplog)
    site.assert_absent(SECRET, SECRET_TITLE)
    assert "source.docs" in log


def test_a_generated_page_read_from_an_unreviewed_file_of_the_site_is_refused(make_site, caplog):
    """A file in the repository outside docs_dir is under no review (and the leak scan, which
    knows docs_dir, would not recognise its text)."""
    site = base_site(make_site)
    (site.root / "notes").mkdir()
    (site.root / "notes" / "draft.md").write_text(f"# 笔记\n\n{FORGED}。\n", encoding="utf-8")
    site.commit_all("notes")
    site.add_hook(generating_hook("news/notes.md", source="root / 'notes' / 'draft.md'"))
    log = built(site, caplog)
    site.assert_absent(FORGED)
    assert "source.site" in log


def test_a_hook_copying_a_withheld_pages_text_into_a_generated_page_fails_the_leak_scan(make_site):
    """Approved code reading the real docs_dir into memory is not visible by path: the leak
    scan of the output finds the text, fails the build and removes site/."""
    site = base_site(make_site)
    site.add_hook("from pathlib import Path\n"
                  "from mkdocs.structure.files import File\n"
                  "def on_files(files, config):\n"
                  "    real = Path(config.config_file_path).parent / 'content'\n"
                  "    text = (real / 'drafts' / 'secret.md').read_text(encoding='utf-8')\n"
                  "    files.append(File.generated(config, 'news/copy.md', content=text))\n"
                  "    return files\n")
    with pytest.raises(Abort):
        site.build()
    assert site.output_files() == []


def test_a_hooks_generated_page_is_published_and_kept_in_the_nav(make_site, caplog):
    """Made in memory by an approved hook, at a free path: published, listed in the summary
    by its generator, and its nav entry is no longer pruned."""
    site = base_site(make_site, mkdocs_extra="nav:\n  - 首页: index.md\n  - 生成页: news/generated.md\n")
    site.add_hook(generating_hook("news/generated.md", "# 生成页\n\n钩子生成的公开正文。\n"))
    log = built(site, caplog)
    html = (site.root / "site" / "news" / "generated" / "index.html").read_text(encoding="utf-8")
    assert "钩子生成的公开正文" in html
    assert "生成页" in (site.root / "site" / "index.html").read_text(encoding="utf-8")
    assert "其他插件生成的内容：发布 1 页" in log
    site.assert_absent(SECRET, SECRET_TITLE)


def test_a_refused_generated_page_put_back_later_stops_the_build(make_site, caplog):
    """Refused by object: a hook that includes it again after the judgement stops the build,
    naming the page and why it was refused."""
    site = base_site(make_site)
    site.add_hook(generating_hook("drafts/secret/index.md", f"# 伪造\n\n{FORGED}。\n")
                  + "from mkdocs.plugins import CombinedEvent, event_priority\n"
                  "from mkdocs.structure.files import InclusionLevel\n"
                  "_add = on_files\n"
                  "@event_priority(-200)\n"  # after the gate's judgement
                  "def _again(files, config):\n"
                  "    for f in files:\n"
                  "        if f.src_uri == 'drafts/secret/index.md':\n"
                  "            f.inclusion = InclusionLevel.INCLUDED\n"
                  "    return files\n"
                  "on_files = CombinedEvent(_add, _again)\n")
    with pytest.raises(Abort):
        built(site, caplog)
    assert "put it back into the build" in caplog.text and "path.withheld" in caplog.text
    assert site.output_files() == []


def test_judge_two_generated_files_on_one_output_and_the_stage(tmp_path):
    """The rule itself: two generators on one output path are both refused; the stage and a
    plugin's temporary directory may be read, the real docs_dir and the site's own may not."""
    from secrecy_gate.build.generated import Candidate, Places, judge
    docs, stage, site = tmp_path / "site" / "content", tmp_path / "site" / ".stage", tmp_path / "site"
    for d in (docs, stage, tmp_path / "tmp"):
        d.mkdir(parents=True)
    places = Places(frozenset(), {}, {}, {}, docs, (stage,), (site, site / "public"))
    cands = [Candidate("a.md", "a/index.html", "p", None),
             Candidate("a/index.md", "A/index.html", "q", None),
             Candidate("b.md", "b/index.html", "p", str(stage / "b.md")),
             Candidate("c.md", "c/index.html", "p", str(tmp_path / "tmp" / "c.md")),
             Candidate("d.md", "d/index.html", "p", str(docs / "d.md")),
             Candidate("e.md", "e/index.html", "p", str(site / "notes" / "e.md"))]
    got = {cands[i].uri: r.code for i, r in judge(cands, places).items()}
    assert got == {"a.md": "path.twice", "a/index.md": "path.twice", "d.md": "source.docs",
                   "e.md": "source.site"}
