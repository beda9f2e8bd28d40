"""The gate under the Material theme and its plugins."""

import pytest

from conftest import page

pytest.importorskip("material")


def test_material_site_publishes_only_reviewed_pages(make_site):
    site = make_site(mkdocs_extra="theme:\n  name: material\n  language: zh\n"
                                  "nav:\n  - 首页: index.md\n  - 内部: secret.md\n")
    site.write("index.md", page("# 首页\n\n材料主题的公开正文。\n"))
    site.sign_all("index.md")
    site.write("secret.md", page("# 材料主题的内部标题\n\n材料主题的不予公开正文。\n",
                                 disclosure="不予公开"))
    site.sign_all("secret.md")
    site.write("notes.txt", "材料主题的杂项文件内容\n")
    site.build()
    text = site.output_text()
    assert "材料主题的公开正文" in text
    for absent in ("材料主题的内部标题", "材料主题的不予公开正文", "材料主题的杂项文件内容", "secret/"):
        assert absent not in text, absent
    assert (site.root / "site" / "search" / "search_index.json").exists()


def test_material_blog_cannot_put_an_unreviewed_post_back(make_site):
    """Material's blog reads its posts from docs_dir itself: from the approved-only view,
    an unreviewed post is simply not there, and the site builds without it."""
    site = make_site(mkdocs_extra="theme:\n  name: material\n",
                     plugin_options="")
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    cfg = cfg.replace("plugins:\n  - search\n", "plugins:\n  - search\n  - blog\n")
    (site.root / "mkdocs.yml").write_text(cfg, encoding="utf-8")
    site.write("index.md", page("# 首页\n\n首页正文。\n"))
    site.write("blog/index.md", page("# 博客\n"))
    site.sign_all("index.md")
    site.sign_all("blog/index.md")
    site.write("blog/posts/post.md", "---\ndate: 2026-11-01\n---\n\n# 博客草稿\n\n未经审查的博客正文寅卯。\n")
    site.build()
    assert (site.root / "site" / "blog" / "index.html").is_file()
    site.assert_absent("未经审查的博客正文寅卯", "博客草稿")
    assert not any("2026/11" in f for f in site.output_files())


def test_material_blog_archives_of_a_reviewed_post_are_refused(make_site, caplog):
    """The blog generates archive pages nobody reviewed and puts them into the build:
    the gate stops the build by name (publishing blog archives is not supported yet)."""
    from mkdocs.exceptions import Abort
    site = make_site(mkdocs_extra="theme:\n  name: material\n")
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg.replace("plugins:\n  - search\n", "plugins:\n  - search\n  - blog\n"))
    site.write("index.md", page("# 首页\n\n首页正文。\n"))
    site.write("blog/index.md", page("# 博客\n"))
    site.write("blog/posts/post.md", page("# 博客文章\n\n已审查的博客正文。\n", extra="date: 2026-11-01\n"))
    for rel in ("index.md", "blog/index.md", "blog/posts/post.md"):
        site.sign_all(rel)
    with pytest.raises(Abort):
        site.build()
    assert "blog/archive/2026.md is withheld but another plugin put it back" in caplog.text
    assert site.output_files() == []
