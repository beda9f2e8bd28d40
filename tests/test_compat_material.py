"""The gate under the Material theme and its plugins."""

import json

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


def blog_site(make_site, options: str = "", hook: str | None = None):
    """A Material blog, as a 新闻动态 section would be: the blog plugin before the gate."""
    site = make_site(mkdocs_extra="theme:\n  name: material\n")
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg.replace("plugins:\n  - search\n", "plugins:\n  - search\n  - blog" + options + "\n"))
    if hook is not None:
        site.add_hook(hook)
    site.write("index.md", page("# 首页\n\n首页正文。\n"))
    site.write("blog/index.md", page("# 新闻动态\n"))
    for rel in ("index.md", "blog/index.md"):
        site.sign_all(rel)
    return site


def post(title: str, body: str, day: str, slug: str, categories=(), **kw) -> str:
    cats = "".join(f"  - {c}\n" for c in categories)
    extra = f"date: {day}\nslug: {slug}\n" + (f"categories:\n{cats}" if cats else "")
    return page(f"# {title}\n\n{body}\n\n<!-- more -->\n\n{title}的全文。\n", extra=extra, title=title, **kw)


def test_material_blog_publishes_signed_posts_with_archives_and_categories(make_site, caplog):
    """The blog's archive and category pages are made from the approved-only stage by the
    approved blog plugin: published, and an unreviewed post is nowhere, not even in a list."""
    import logging
    site = blog_site(make_site)
    site.write("blog/posts/p1.md", post("预算公开说明", "第一篇已审查的博客正文。", "2026-11-01", "budget",
                                        ["news", "finance"]))
    site.write("blog/posts/p2.md", post("防汛通知", "第二篇已审查的博客正文。", "2026-10-15", "flood", ["news"]))
    for rel in ("blog/posts/p1.md", "blog/posts/p2.md"):
        site.sign_all(rel)
    site.write("blog/posts/p3.md", post("未审内部草稿寅卯", "未经审查的博客正文辰巳。", "2026-11-03", "draftpost",
                                        ["news", "neibu-only"]))
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.secrecy_gate"):
        site.build()
    files = site.output_files()
    for out in ("blog/2026/11/01/budget/index.html", "blog/2026/10/15/flood/index.html",
                "blog/archive/2026/index.html", "blog/category/news/index.html",
                "blog/category/finance/index.html"):
        assert out in files, out
    archive = (site.root / "site" / "blog" / "archive" / "2026" / "index.html").read_text(encoding="utf-8")
    news = (site.root / "site" / "blog" / "category" / "news" / "index.html").read_text(encoding="utf-8")
    for listing in (archive, news):
        assert "预算公开说明" in listing and "防汛通知" in listing
        assert "第一篇已审查的博客正文" in listing
    text = site.output_text()
    index = json.loads((site.root / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "第二篇已审查的博客正文" in json.dumps(index, ensure_ascii=False)
    assert "blog/archive/2026/" in (site.root / "site" / "sitemap.xml").read_text(encoding="utf-8")
    # Nothing of the unreviewed post: HTML, search index, sitemap, file names.
    site.assert_absent("未审内部草稿寅卯", "未经审查的博客正文辰巳", "draftpost", "neibu-only", "2026/11/03")
    assert "review:" not in text and "classification" not in text
    summary = caplog.text
    assert "其他插件生成的内容：发布 3 页（material/blog 3 页）" in summary


def test_material_blog_post_redacted_publishes_the_cut_text_only(make_site):
    """The blog reads each post from its original file itself: the judged text, with the
    第九条 secret point cut, is what the post, its excerpt in the archive and the search
    index show (not the original, which would also fail the leak scan)."""
    site = blog_site(make_site)
    site.write("blog/posts/p1.md", post("水务通知", "代号：<!-- 密点 -->青松七号暗渠<!-- /密点 -->，其余公开。",
                                        "2026-11-01", "water", disclosure="删减后公开",
                                        review_extra="redactions: 1\n"))
    site.sign_all("blog/posts/p1.md")
    site.build()
    html = (site.root / "site" / "blog" / "2026" / "11" / "01" / "water" / "index.html").read_text(encoding="utf-8")
    assert "■■■" in html and "其余公开" in html
    archive = (site.root / "site" / "blog" / "archive" / "2026" / "index.html").read_text(encoding="utf-8")
    assert "■■■" in archive
    site.assert_absent("青松七号暗渠", "密点")


def test_material_blog_index_withheld_is_not_recreated_by_the_blog(make_site, caplog):
    """Without a published blog/index.md in the stage, the blog writes its own entry page
    ("# Blog") at the withheld page's path: the gate excludes it, and the blog's putting it
    back stops the build by name (fail closed) instead of publishing a page at a withheld URL."""
    from mkdocs.exceptions import Abort
    site = make_site(mkdocs_extra="theme:\n  name: material\n")
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg.replace("plugins:\n  - search\n", "plugins:\n  - search\n  - blog\n"))
    site.write("index.md", page("# 首页\n\n首页正文。\n"))
    site.sign_all("index.md")
    site.write("blog/index.md", page("# 未审查的博客首页丁戊\n"))
    site.write("blog/posts/p1.md", post("已审文章", "已审查的博客正文。", "2026-11-01", "ok"))
    site.sign_all("blog/posts/p1.md")
    with pytest.raises(Abort):
        site.build()
    assert "blog/index.md is withheld but another plugin put it back" in caplog.text
    assert site.output_files() == []


def _serve_build(site, dev_addr):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    cfg = load_config(config_file=str(site.root / "mkdocs.yml"), dev_addr=dev_addr)
    cfg.plugins.on_startup(command="serve", dirty=False)
    try:
        build(cfg, serve_url=f"http://{dev_addr}/")
    finally:
        cfg.plugins.on_shutdown()


@pytest.mark.parametrize("dev_addr", ["127.0.0.1:8000", "0.0.0.0:8000"])
def test_material_blog_under_serve(make_site, dev_addr):
    """A loopback preview shows the unreviewed post with the banner (its archive too: a local
    preview); served on a public address, it is nowhere, as in a build."""
    site = blog_site(make_site)
    site.write("blog/posts/p1.md", post("预算公开说明", "第一篇已审查的博客正文。", "2026-11-01", "budget", ["news"]))
    site.sign_all("blog/posts/p1.md")
    site.write("blog/posts/p3.md", post("未审内部草稿寅卯", "未经审查的博客正文辰巳。", "2026-11-03", "draftpost",
                                        ["news"]))
    _serve_build(site, dev_addr)
    out = site.root / "site"
    assert "第一篇已审查的博客正文" in (out / "blog" / "archive" / "2026" / "index.html").read_text(encoding="utf-8")
    if dev_addr.startswith("127."):
        draft = (out / "blog" / "2026" / "11" / "03" / "draftpost" / "index.html").read_text(encoding="utf-8")
        assert "未经审查的博客正文辰巳" in draft and "预览：未经保密审查，不得公开" in draft
    else:
        site.assert_absent("未审内部草稿寅卯", "未经审查的博客正文辰巳", "draftpost")
