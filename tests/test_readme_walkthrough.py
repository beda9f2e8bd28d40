"""The README's walkthrough, run as written, on a realistic Material site.

"Adding the gate to an existing site" in README.md is a newcomer's path from an
existing MkDocs Material site to ten published pages.  Each shell block of it is
marked ``<!-- walkthrough -->``; this test builds a site such as a newcomer
brings (a code-heavy book: code blocks in several languages, English tables,
URLs, admonitions, images under docs/images/, years of history by two editors),
extracts those blocks and runs them with bash in that repository, unchanged.
Then the build must have published exactly the ten signed pages and their
images, and no text of the other pages may be anywhere in site/ (HTML, search
index, sitemap).  If the README and the tool drift apart, this fails.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

pytest.importorskip("material")

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARK = "<!-- walkthrough -->"

EDITORS = [("王编辑", "wang.editor@example.org"), ("李编辑", "li.editor@example.org")]


def png(seed: int) -> bytes:
    """A real 2x2 PNG, different for each seed."""
    raw = b"".join(b"\x00" + bytes([(seed * 37 + i * 11) % 256, seed % 256, 200]) * 2 for i in range(2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


MKDOCS_YML = """\
site_name: 算法图解手册
site_url: https://algo.example.org/
repo_url: https://github.com/example/algo-book
docs_dir: docs
theme:
  name: material
  language: zh
  features:
    - content.code.annotate
    - content.code.copy
    - navigation.tabs
    - search.highlight
  palette:
    primary: indigo
plugins:
  - search
  - tags
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - tables
  - toc:
      permalink: true
  - pymdownx.details
  - pymdownx.highlight:
      anchor_linenums: true
  - pymdownx.inlinehilite
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
nav:
  - 首页: index.md
  - 入门:
      - guide/intro.md
      - guide/complexity.md
      - guide/array.md
      - guide/linked-list.md
      - guide/stack.md
      - guide/hashing.md
      - guide/sorting.md
      - guide/search.md
      - guide/tree.md
  - 草稿:
      - drafts/graph.md
      - drafts/dynamic-programming.md
      - drafts/greedy.md
"""

CODE_TABS = '''\
=== "Python"

    ```python title="{slug}.py"
    def {slug_py}(nums: list[int]) -> int:
        """{zh}"""
        total = 0  # (1)!
        for n in nums:
            total += n
        return total
    ```

    1. 累加器从零开始。

=== "JavaScript"

    ```javascript
    function {slug_js}(nums) {{
        let total = 0;
        for (const n of nums) total += n;
        return total === undefined ? null : total;
    }}
    ```

=== "C++"

    ```cpp
    #include <vector>
    int {slug_py}(const std::vector<int>& nums) {{
        int total = 0;
        for (int n : nums) total += n;
        return total;
    }}
    ```
'''

# Published pages: English table cells that are common words, code, URLs, images.
PUBLISHED = {
    "index.md": ("首页", "home"),
    "guide/intro.md": ("初识算法", "intro"),
    "guide/complexity.md": ("复杂度分析", "complexity"),
    "guide/array.md": ("数组", "array"),
    "guide/linked-list.md": ("链表", "linked_list"),
    "guide/stack.md": ("栈与队列", "stack"),
    "guide/hashing.md": ("哈希表", "hashing"),
    "guide/sorting.md": ("排序算法", "sorting"),
    "guide/search.md": ("查找算法", "search"),
    "guide/tree.md": ("二叉树", "tree"),
}

# Withheld pages: each has a distinctive sentence, code, a URL and an image only it uses.
DRAFTS = {
    "drafts/graph.md": ("图论草稿甲乙丙", "graph_walk_qzx"),
    "drafts/dynamic-programming.md": ("动态规划草稿丁戊己", "knapsack_table_qzx"),
    "drafts/greedy.md": ("贪心算法草稿庚辛壬", "greedy_pick_qzx"),
}


def published_page(rel: str, title: str, slug: str, n: int, version: int) -> str:
    depth = rel.count("/")
    up = "../" * depth
    fm = ("---\n"
          f"title: {title}\n"
          "icon: material/book-open-variant\n"
          f"tags: [算法, 第{n}章]   # Material tags\n"
          "comments: true\n"
          + ("hide:\n  - navigation\n" if rel == "index.md" else "")
          + "---\n\n")
    body = f"# {title}\n\n本章第 {version} 版介绍{title}的基本概念与实现，正文示例第{n}号。\n\n"
    body += f"![{title}示意图]({up}images/{slug}.png){{ width=\"300\" }}\n\n"
    body += ("!!! tip \"提示\"\n\n"
             f"    阅读{title}之前，建议先运行下面的代码。\n\n")
    body += CODE_TABS.format(slug=slug, slug_py=f"sum_{slug}", slug_js=f"sum{slug.title().replace('_', '')}",
                             zh=f"{title}示例") + "\n"
    body += ("| 关键字 | 含义 | 链接 |\n| --- | --- | --- |\n"
             "| function | 函数 | https://developer.mozilla.org/docs/Web/JavaScript |\n"
             "| undefined | 未定义 | https://tc39.es/ecma262/ |\n"
             "| JavaScript | 脚本语言 | https://www.python.org/ |\n\n")
    body += "```bash\npip install -r requirements.txt\npython -m pytest -q\n```\n"
    return fm + body


def draft_page(rel: str, title: str, slug: str, version: int) -> str:
    return ("---\n"
            f"title: {title}\n"
            "status: new\n"
            "---\n\n"
            f"# {title}\n\n"
            f"这是尚未审查的{title}正文第{version}版，含有未公开的内部数据一百二十三条。\n\n"
            f"![内部草图](../images/{slug}.png)\n\n"
            "!!! warning \"待定\"\n\n"
            f"    {title}的结论尚未确定。\n\n"
            f"```python\ndef {slug}(graph):\n    return sorted(graph, key=len)  # {title}代码注释\n```\n\n"
            f"```yaml\n{slug}_setting: 42\n```\n\n"
            "| 步骤 | 说明 |\n| --- | --- |\n"
            f"| {slug}_step | {title}的步骤说明 |\n"
            "| function | 函数 |\n| JavaScript | 脚本语言 |\n"
            f"| 参考 | https://internal.example.org/{slug}/notes |\n")


def sh(cwd: Path, *args: str, env=None) -> str:
    proc = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


def make_material_book(root: Path, env: dict) -> None:
    """An existing Material site in git: pages edited from 2021 to 2024 by two editors."""
    root.mkdir(parents=True)
    sh(root, "git", "init", "-q", "-b", "main", env=env)
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (root / ".gitignore").write_text("site/\n", encoding="utf-8")
    images = root / "docs" / "images"
    images.mkdir(parents=True)
    years = ["2021-03-02", "2022-05-17", "2023-08-09", "2024-11-20"]
    for version, day in enumerate(years, start=1):
        for n, (rel, (title, slug)) in enumerate(PUBLISHED.items()):
            if version == 1 or n % version == 0:
                p = root / "docs" / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(published_page(rel, title, slug, n, version), encoding="utf-8")
                (images / f"{slug}.png").write_bytes(png(n * 10 + version))
        if version >= 3:
            for rel, (title, slug) in DRAFTS.items():
                p = root / "docs" / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(draft_page(rel, title, slug, version), encoding="utf-8")
                (images / f"{slug}.png").write_bytes(png(200 + version + len(slug)))
        name, email = EDITORS[version % 2]
        stamp = f"{day}T09:30:00+08:00"
        cenv = dict(env, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
                    GIT_COMMITTER_EMAIL=email, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        sh(root, "git", "add", "-A", env=cenv)
        sh(root, "git", "commit", "-q", "-m", f"更新 {day}", env=cenv)


def walkthrough_blocks(readme: str) -> list[str]:
    """The shell blocks of the README marked ``<!-- walkthrough -->``, in order."""
    return re.findall(re.escape(MARK) + r"\s*\n```sh\n(.*?)\n```", readme, flags=re.S)


def page_url(rel: str) -> str:
    return "" if rel == "index.md" else rel[:-3] + "/"


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    """The Material book after the README's walkthrough ran in it: (repo, bash output)."""
    base = tmp_path_factory.mktemp("walk")
    home = base / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(f"[user]\n\tname = {EDITORS[0][0]}\n\temail = {EDITORS[0][1]}\n"
                                     "[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "SECRECY_GATE_")) and k != "VIRTUAL_ENV"}
    bindir = str(Path(os.sys.executable).parent)  # secrecy-gate and mkdocs as installed for the tests
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", PATH=bindir + os.pathsep + env.get("PATH", ""))
    repo = base / "book"
    make_material_book(repo, env)
    blocks = walkthrough_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 6, "the README's walkthrough blocks are not marked " + MARK
    script = "set -euo pipefail\n" + "\n".join(blocks) + "\n"
    proc = subprocess.run(["bash", "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"the README walkthrough failed ({proc.returncode}):\n{out[-6000:]}"
    return repo, out


def site_text(site: Path) -> str:
    chunks = []
    for p in sorted(site.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.suffix == ".gz":
                data = gzip.decompress(data)
            chunks.append(f"\n=== {p.relative_to(site)} ===\n" + data.decode("utf-8", "replace"))
    return "".join(chunks)


def test_the_walkthrough_publishes_exactly_the_ten_signed_pages(walked):
    repo, out = walked
    site = repo / "site"
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("index.html"))
    assert pages == sorted(page_url(rel) + "index.html" for rel in PUBLISHED)
    assert "发布 10 页" in out and "不发布 3 页" in out
    # Each published page's body, code and table are there; its image was copied, byte for byte.
    for n, (rel, (title, slug)) in enumerate(PUBLISHED.items()):
        html = (site / page_url(rel) / "index.html").read_text(encoding="utf-8")
        assert title in html and f"sum_{slug}" in html and "developer.mozilla.org" in html
        assert (site / "images" / f"{slug}.png").read_bytes() == (repo / "docs" / "images" / f"{slug}.png").read_bytes()
    assert sorted(p.name for p in (site / "images").iterdir()) == sorted(f"{s}.png" for _, s in PUBLISHED.values())
    # The sitemap lists the ten pages and nothing else; so does the search index.
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert sorted(re.findall(r"<loc>https://algo.example.org/(.*?)</loc>", sitemap)) == sorted(
        page_url(rel) for rel in PUBLISHED)
    assert gzip.decompress((site / "sitemap.xml.gz").read_bytes()).decode("utf-8") == sitemap
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert {d["location"].split("#")[0] for d in index["docs"]} == {page_url(rel) for rel in PUBLISHED}


def test_no_text_of_an_unsigned_page_is_anywhere_in_the_output(walked):
    repo, _ = walked
    site = repo / "site"
    text = site_text(site)
    names = "\n".join(str(p.relative_to(site)) for p in site.rglob("*"))
    assert "search/search_index.json" in names and "sitemap.xml" in names
    for rel, (title, slug) in DRAFTS.items():
        for needle in (title, slug, f"{title}的步骤说明", f"https://internal.example.org/{slug}/notes",
                       "未公开的内部数据一百二十三条", rel[:-3], f"{slug}_setting"):
            assert needle not in text, f"{needle!r} of {rel} is in the output"
            assert needle not in names
    assert "草稿" not in text  # the nav section of the drafts is gone too


def test_the_walkthrough_made_one_commit_per_reviewer_and_left_the_drafts_in_review(walked):
    repo, out = walked
    log = sh(repo, "git", "log", "--format=%ae %s", env=dict(os.environ, GIT_CONFIG_NOSYSTEM="1"))
    signers = [line.split()[0] for line in log.splitlines() if "example.org" in line.split()[0]]
    for email in ("drafter@example.org", "head@example.org", "secrecy@example.org", "leader@example.org"):
        assert sum(1 for s in signers if s == email) >= 1
    assert out.count("10 个页面，一次提交") == 4
    # `secrecy-gate status` (the walkthrough's last command) shows what is left.
    assert "共 13 页：草稿 3，已发布 10" in out
    assert out.count("填写 review.classification 等 9 个字段") == 3  # the three drafts, adopted only
    # Each page's own Material front matter survived adopt, attachments and four signatures.
    text = (repo / "docs" / "guide" / "tree.md").read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 二叉树\nicon: material/book-open-variant\n"
                           "tags: [算法, 第9章]   # Material tags\ncomments: true\n")
