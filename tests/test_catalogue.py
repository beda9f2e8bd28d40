"""The disclosure catalogue (政府信息公开目录) and the metadata table, in real builds.

Both are made from the gate's published pages only: a withheld document must
leave no title, 索引号, 文号 or link in any output file.  索引号 that break the
site's format or appear twice withhold the pages concerned (第五条).
"""

from __future__ import annotations

import datetime
import html
import posixpath
import re
import textwrap

import pytest
from click.testing import CliRunner
from conftest import Site, chromium, needs_browser, page
from mkdocs.exceptions import Abort

from secrecy_gate.cli import main

TODAY = datetime.date.today().isoformat()
PUBLIC_TEXT = "目录测试公开首页正文"


def document_page(title: str, index_no: str | None = None, *, doc_no: str | None = None,
                  issuer: str | None = "示例市人民政府办公室", written: str | None = "2026-01-05",
                  published: str | None = None, **kw) -> str:
    """A page with ``document`` metadata; a field given as None is left out."""
    fields = {"index_no": index_no, "issuer": issuer, "doc_no": doc_no, "written": written,
              "published": published}
    meta = "document:\n" + "".join(f"  {k}: {v!r}\n" for k, v in fields.items() if v is not None)
    return page(f"# {title}\n\n{title}的正文。\n", title=title, extra=meta, **kw)


def home(site: Site) -> Site:
    site.write("index.md", page(f"# 首页\n\n{PUBLIC_TEXT}。\n", title="首页"))
    site.sign_all("index.md")
    return site


def publish(site: Site, rel: str, text: str) -> None:
    site.write(rel, text)
    site.sign_all(rel)


def catalogue_rows(site: Site, rel: str = "gkml/index.html") -> list[list[str]]:
    """The catalogue's body rows as lists of cell HTML."""
    text = (site.root / "site" / rel).read_text(encoding="utf-8")
    body = text.split('<div class="sg-catalogue">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def link_of(cell: str) -> str:
    return html.unescape(re.search(r'href="([^"]*)"', cell).group(1))


def built_target(site: Site, from_page: str, href: str):
    """The output file a relative link on ``from_page`` opens."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(from_page), href))
    path = site.root / "site" / target
    return path / "index.html" if href.endswith("/") else path


def withheld_codes(site: Site, rel: str) -> set[str]:
    return {f.code for f in site.verdict(rel).findings if f.withholds}


# -- the catalogue ---------------------------------------------------------------------

def test_catalogue_lists_exactly_the_published_documents_newest_first(make_site):
    site = home(make_site())
    for rel, title, n, published in (("a/old.md", "目录测试旧通知", 1, "2024-03-01"),
                                     ("b/new.md", "目录测试新通知", 7, "2026-02-01"),
                                     ("c/mid.md", "目录测试中通知", 3, "2025-06-30")):
        year = published[:4]
        publish(site, rel, document_page(title, f"620600-{year}-0000{n}", doc_no=f"示政发〔{year}〕{n}号",
                                         published=published))
    site.build()
    rows = catalogue_rows(site)
    assert [r[0] for r in rows] == ["620600-2026-00007", "620600-2025-00003", "620600-2024-00001"]
    assert [r[5] for r in rows] == ["2026-02-01", "2025-06-30", "2024-03-01"]
    assert rows[0][2] == "示政发〔2026〕7号" and rows[0][3] == "示例市人民政府办公室"
    assert {r[6] for r in rows} == {"主动公开"}
    # The home page has no `document` metadata: it is a page, not a document.
    assert not any("首页" in cell for r in rows for cell in r)
    for row, title in zip(rows, ["目录测试新通知", "目录测试中通知", "目录测试旧通知"]):
        assert f">{title}</a>" in row[1]
        target = built_target(site, "gkml/index.html", link_of(row[1]))
        assert target.is_file(), target
        assert title in target.read_text(encoding="utf-8")


@needs_browser
def test_clicking_a_column_heading_sorts_the_catalogue_in_a_real_browser(make_site, tmp_path):
    """The inline sort script works in a browser: a click on 索引号 sorts by it."""
    site = home(make_site())
    for rel, n, published in (("a.md", 2, "2026-01-01"), ("b.md", 9, "2025-01-01"),
                              ("c.md", 5, "2024-01-01")):
        publish(site, rel, document_page(f"排序测试{n}", f"620600-2026-0000{n}", published=published))
    site.build()
    built = site.root / "site" / "gkml" / "index.html"
    # The click is the last thing the page does, after the catalogue's own script.
    clicked = built.read_text(encoding="utf-8").replace(
        "</body>", '<script>document.querySelector(".sg-catalogue th").click();</script></body>')
    probe = built.with_name("probe.html")
    probe.write_text(clicked, encoding="utf-8")
    dom = chromium(tmp_path / "profile", "--dump-dom", probe.as_uri()).stdout
    order = re.findall(r"620600-2026-0000(\d)", dom.split('class="sg-catalogue"', 1)[1])
    assert order[:3] == ["9", "5", "2"]  # first click: 索引号 descending
    assert re.findall(r"620600-2026-0000(\d)", built.read_text(encoding="utf-8"))[:3] == ["2", "9", "5"]


WITHHELD = (  # (page, title, 索引号 serial, disclosure, signed)
    ("draft.md", "目录测试未签署草稿标题", 901, "主动公开", False),
    ("secret.md", "目录测试不予公开标题", 902, "不予公开", True),
    ("request.md", "目录测试依申请公开标题", 903, "依申请公开", True),
)


def test_withheld_documents_leave_no_trace_anywhere(make_site):
    site = home(make_site())
    publish(site, "pub.md", document_page("目录测试已公开文件", "620600-2026-00100", doc_no="示政发〔2026〕100号"))
    traces = []
    for rel, title, n, disclosure, signed in WITHHELD:
        site.write(rel, document_page(title, f"620600-2026-00{n}", doc_no=f"示政发〔2026〕{n}号",
                                      disclosure=disclosure))
        if signed:
            site.sign_all(rel)
        traces += [title, f"620600-2026-00{n}", f"示政发〔2026〕{n}号"]
    site.build()
    rows = catalogue_rows(site)
    assert [r[0] for r in rows] == ["620600-2026-00100"]
    out = site.output_text()
    assert "目录测试已公开文件" in out and PUBLIC_TEXT in out
    site.assert_absent(*traces)
    assert not [f for f in site.output_files() if f.split("/")[0] in ("draft", "secret", "request")]


def test_catalogue_titles_a_page_as_mkdocs_does_first_heading_only(make_site):
    """Without a front-matter title, a page's title is its first block when that is a
    heading, as MkDocs titles it — not a `#` comment in a code block further down."""
    site = home(make_site())
    meta = "document:\n  index_no: '620600-2026-00001'\n  issuer: 示例市人民政府办公室\n" \
           "  written: '2026-01-05'\n"
    untitled = lambda body, m: page(body, extra=m).replace("title: 测试页面\n", "", 1)  # noqa: E731
    publish(site, "a.md", untitled("# 目录标题*甲*通知 {#top}\n\n正文。\n", meta))
    publish(site, "b.md", untitled("安装说明正文。\n\n```bash\n# 安装依赖包的注释\npip install x\n```\n",
                                   meta.replace("00001", "00002")))
    site.build()
    cells = {link_of(row[1]): re.sub(r"<[^>]+>", "", row[1]) for row in catalogue_rows(site)}
    assert cells == {"../a/": "目录标题甲通知", "../b/": "b.md"}


def test_on_request_documents_are_listed_in_an_internal_build(make_site):
    site = home(make_site(plugin_options="      include_on_request: true\n"))
    publish(site, "request.md", document_page("目录测试依申请文件", "620600-2026-00903",
                                              disclosure="依申请公开"))
    site.build()
    assert [(r[0], r[6]) for r in catalogue_rows(site)] == [("620600-2026-00903", "依申请公开")]


def test_catalogue_false_generates_nothing(make_site):
    site = home(make_site(plugin_options="      catalogue: false\n"))
    publish(site, "pub.md", document_page("目录测试关闭目录", "620600-2026-00100"))
    site.build()
    files = site.output_files()
    assert "pub/index.html" in files
    assert not [f for f in files if f.startswith("gkml/")]
    out = site.output_text()
    assert "sg-catalogue" not in out and "政府信息公开目录" not in out
    assert "sg-document-meta" in out  # the metadata table is a separate option


def test_catalogue_at_a_chosen_path_and_appended_to_an_explicit_nav(make_site):
    site = home(make_site(mkdocs_extra="nav:\n  - 首页: index.md\n  - 文件: pub.md\n",
                          plugin_options="      catalogue: xxgk/mulu.md\n      catalogue_in_nav: true\n"))
    publish(site, "pub.md", document_page("目录测试自定路径", "620600-2026-00100"))
    site.build()
    assert [r[0] for r in catalogue_rows(site, "xxgk/mulu/index.html")] == ["620600-2026-00100"]
    assert 'href="xxgk/mulu/"' in (site.root / "site" / "index.html").read_text(encoding="utf-8")


def test_explicit_nav_without_the_catalogue_is_left_alone(make_site):
    site = home(make_site(mkdocs_extra="nav:\n  - 首页: index.md\n"))
    publish(site, "pub.md", document_page("目录测试不在导航", "620600-2026-00100"))
    site.build()
    assert (site.root / "site" / "gkml" / "index.html").is_file()
    assert 'href="gkml/"' not in (site.root / "site" / "index.html").read_text(encoding="utf-8")


def test_catalogue_path_taken_by_a_page_stops_the_build(make_site, caplog):
    site = home(make_site())
    publish(site, "gkml/index.md", page("# 自写目录\n\n自写的目录页。\n"))
    publish(site, "pub.md", document_page("目录测试路径冲突", "620600-2026-00100"))
    with pytest.raises(Abort):
        site.build()
    assert "the catalogue path gkml/index.md is taken by a file" in caplog.text
    assert not site.output_files()


def test_catalogue_headings_in_a_withheld_page_are_not_a_leak(make_site):
    """A withheld page may hold the same column headings: the public labels prove nothing."""
    site = home(make_site())
    publish(site, "pub.md", document_page("目录测试表头文件", "620600-2026-00100"))
    site.write("draft.md", page("# 目录测试表头草稿\n\n索引号 标题 文号 发布机构 成文日期 发布日期 公开属性\n"))
    site.build()
    assert catalogue_rows(site)[0][0] == "620600-2026-00100"
    site.assert_absent("目录测试表头草稿")


NAV_WITH_CATALOGUE = "nav:\n  - 首页: index.md\n  - 政府信息公开目录: gkml/index.md\n"


def test_no_document_no_catalogue_unless_the_nav_lists_it(make_site):
    site = home(make_site())
    site.build()
    assert not [f for f in site.output_files() if f.startswith("gkml/")]
    site.set_mkdocs_yml(NAV_WITH_CATALOGUE + (site.root / "mkdocs.yml").read_text(encoding="utf-8"))
    site.build()
    catalogue = (site.root / "site" / "gkml" / "index.html").read_text(encoding="utf-8")
    assert "<p>暂无已发布的政府信息。</p>" in catalogue


def test_record_field_names_of_a_withheld_document_are_not_a_leak(make_site):
    """No published page has `document:` here; the word is in every theme's JavaScript."""
    site = home(make_site(mkdocs_extra=NAV_WITH_CATALOGUE))
    site.write("draft.md", document_page("目录测试字段名草稿", "620600-2026-00901"))
    site.build()
    assert "620600-2026-00901" not in site.output_text()
    assert "<p>暂无已发布的政府信息。</p>" in (site.root / "site" / "gkml" / "index.html").read_text(
        encoding="utf-8")


def test_text_another_plugin_adds_to_the_catalogue_markdown_is_dropped(make_site):
    """Nothing of the generated page's Markdown render is kept (an include plugin, a macro)."""
    site = home(make_site(mkdocs_extra=NAV_WITH_CATALOGUE))
    site.write("secret.md", page("# 目录测试附加标题\n\n目录测试被引入的内部文字。\n", disclosure="不予公开"))
    site.add_hook(
        "from pathlib import Path\n"
        "def on_page_markdown(markdown, page, config, files):\n"
        "    if page.file.generated_by is None:\n"
        "        return markdown\n"
        # The real docs_dir: config.docs_dir is the approved-only stage, without secret.md.
        "    return markdown + Path(config.config_file_path).parent.joinpath('content', 'secret.md')"
        ".read_text(encoding='utf-8')"
        ".split('---', 2)[2]\n")
    site.build()
    catalogue = (site.root / "site" / "gkml" / "index.html").read_text(encoding="utf-8")
    assert "政府信息公开目录" in catalogue
    site.assert_absent("目录测试附加标题", "目录测试被引入的内部文字")


# -- the metadata table ----------------------------------------------------------------

def meta_table(site: Site, rel: str) -> dict[str, str]:
    text = (site.root / "site" / rel).read_text(encoding="utf-8")
    table = text.split('<div class="sg-document-meta">', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table))


def test_metadata_table_shows_six_fields_escaped_with_the_leader_date(make_site):
    site = home(make_site())
    publish(site, "pub.md", document_page("目录测试元数据", "620600-2026-00100",
                                          issuer="示例<b>局</b> & 财政局", doc_no=None,
                                          written="2026-01-05"))
    site.build()
    leader = next(s for s in site.review().pages["pub.md"].record.signatures if s.step == "leader")
    assert meta_table(site, "pub/index.html") == {
        "索引号": "620600-2026-00100",
        "发布机构": "示例&lt;b&gt;局&lt;/b&gt; &amp; 财政局",
        "文号": "—",
        "成文日期": "2026-01-05",
        "发布日期": leader.date.isoformat(),
        "公开属性": "主动公开",
    }
    assert leader.date.isoformat() == TODAY
    page_html = (site.root / "site" / "pub" / "index.html").read_text(encoding="utf-8")
    assert "示例<b>局" not in page_html
    assert catalogue_rows(site)[0][3] == "示例&lt;b&gt;局&lt;/b&gt; &amp; 财政局"
    # A page without `document` metadata gets no table.
    assert "sg-document-meta" not in (site.root / "site" / "index.html").read_text(encoding="utf-8")


def test_metadata_table_uses_document_published_and_english_labels(make_site):
    site = home(make_site(plugin_options="      language: en\n"))
    publish(site, "pub.md", document_page("目录测试英文", "620600-2026-00100", doc_no="示政发〔2026〕100号",
                                          published="2026-01-20", disclosure="主动公开"))
    site.build()
    assert meta_table(site, "pub/index.html") == {
        "Index No.": "620600-2026-00100", "Issuer": "示例市人民政府办公室",
        "Document No.": "示政发〔2026〕100号", "Date written": "2026-01-05",
        "Date published": "2026-01-20", "Disclosure": "Proactive disclosure",
    }
    catalogue = (site.root / "site" / "gkml" / "index.html").read_text(encoding="utf-8")
    assert "Government information disclosure catalogue" in catalogue
    assert '<th scope="col">Index No.</th>' in catalogue


def test_document_table_false_shows_no_table(make_site):
    site = home(make_site(plugin_options="      document_table: false\n"))
    publish(site, "pub.md", document_page("目录测试无表", "620600-2026-00100"))
    site.build()
    assert "sg-document-meta" not in site.output_text()
    assert catalogue_rows(site)[0][0] == "620600-2026-00100"


# -- 第五条: the 索引号 format and uniqueness ------------------------------------------------

@pytest.mark.parametrize("pattern_option, first, second, expected", [
    # (option line, index_no of a.md, index_no of b.md, withholding codes of a.md and b.md)
    ("", "620600-2026-00001", "620600-2026-00002", (set(), set())),
    ("", "620600-2026-00001", "620600-2026-00001",
     ({"document.index-no-duplicate"}, {"document.index-no-duplicate"})),
    ("", "620600-2026-00001", "６２０６００-２０２６-００００１",  # full width: the same number
     ({"document.index-no-duplicate"}, {"document.index-no-duplicate", "document.index-no-format"})),
    ("", "2026-1", "620600-2026-00002", ({"document.index-no-format"}, set())),
    ("      index_no_pattern: null\n", "2026-1", "620600-2026-00002", (set(), set())),
    ("      index_no_pattern: null\n", "2026-1", "2026-1",
     ({"document.index-no-duplicate"}, {"document.index-no-duplicate"})),
    ("      index_no_pattern: '^11620600MB[0-9]{7}[0-9X]/\\d{4}-\\d{5}$'\n",
     "11620600MB1234567X/2026-00001", "620600-2026-00002", (set(), {"document.index-no-format"})),
])
def test_index_no_format_and_uniqueness(make_site, pattern_option, first, second, expected):
    site = home(make_site(plugin_options=pattern_option))
    publish(site, "a.md", document_page("目录测试甲文件", first))
    publish(site, "b.md", document_page("目录测试乙文件", second))
    assert (withheld_codes(site, "a.md"), withheld_codes(site, "b.md")) == expected
    site.build()
    listed = {r[0] for r in catalogue_rows(site)} if any(not e for e in expected) else set()
    for rel, title, index_no, codes in (("a.md", "目录测试甲文件", first, expected[0]),
                                        ("b.md", "目录测试乙文件", second, expected[1])):
        if codes:
            site.assert_absent(title)
        else:
            assert index_no in listed


def test_duplicate_finding_names_the_other_page_and_check_reports_it(make_site):
    site = home(make_site())
    publish(site, "a.md", document_page("目录测试甲文件", "620600-2026-00001"))
    publish(site, "b.md", document_page("目录测试乙文件", "620600-2026-00001"))
    finding = next(f for f in site.verdict("a.md").findings if f.code == "document.index-no-duplicate")
    assert finding.article == "第五条" and finding.field == "document.index_no"
    assert "b.md" in finding.message_zh and "b.md" in finding.message_en
    result = CliRunner().invoke(main, ["check", "-f", str(site.root / "mkdocs.yml")])
    assert result.exit_code == 1
    assert "document.index-no-duplicate" in result.output and "a.md" in result.output


def test_a_bad_index_no_pattern_is_a_config_error(make_site):
    site = make_site(plugin_options="      index_no_pattern: '([0-9'\n")
    result = CliRunner().invoke(main, ["check", "-f", str(site.root / "mkdocs.yml")])
    assert result.exit_code != 0
    assert "index_no_pattern" in result.output


# -- the Material theme -----------------------------------------------------------------

def test_catalogue_and_table_under_material(make_site):
    pytest.importorskip("material")
    site = home(make_site(mkdocs_extra=textwrap.dedent("""\
        theme:
          name: material
          language: zh
        nav:
          - 首页: index.md
          - 文件: pub.md
          - 内部: secret.md
          - 政府信息公开目录: gkml/index.md
        """)))
    publish(site, "pub.md", document_page("目录测试材料主题文件", "620600-2026-00100",
                                          doc_no="示政发〔2026〕100号"))
    publish(site, "secret.md", document_page("目录测试材料主题内部", "620600-2026-00902",
                                             doc_no="示政发〔2026〕902号", disclosure="不予公开"))
    site.build()
    rows = catalogue_rows(site)
    assert [r[0] for r in rows] == ["620600-2026-00100"]
    assert built_target(site, "gkml/index.html", link_of(rows[0][1])).is_file()
    assert meta_table(site, "pub/index.html")["文号"] == "示政发〔2026〕100号"
    index_html = (site.root / "site" / "index.html").read_text(encoding="utf-8")
    assert "政府信息公开目录" in index_html  # listed in the nav by the site
    site.assert_absent("目录测试材料主题内部", "620600-2026-00902", "示政发〔2026〕902号")
