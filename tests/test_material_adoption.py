"""A code-heavy Material for MkDocs site goes gated (issue 10): no false alarms, no leaks.

Real Material builds in temporary git repositories.  Withheld pages hold what
a programming book's drafts hold — code blocks, English tables whose cells are
``function``/``undefined``/``JavaScript``, URLs — which Material's own scripts,
style sheets and search engine also hold; the build must succeed and publish
exactly the signed pages.  A withheld page's distinctive text still fails the
build wherever it lands, and an override nobody approved whitelists nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys

import pytest
from mkdocs.exceptions import Abort, PluginError

from conftest import page

material = pytest.importorskip("material")

MATERIAL_YML = """\
theme:
  name: material
  language: zh{custom}
  features:
    - content.code.annotate
    - content.code.copy
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - pymdownx.details
  - pymdownx.highlight
  - pymdownx.inlinehilite
  - pymdownx.superfences
"""

# Distinctive text of the withheld pages: none of it may reach the output.
ZH = "城北片区地下管廊改造的招标控制价暂按一亿二千万元上报"
EN = "The northern depot relocation budget remains under negotiation with the contractor"
CODE_LINE = 'depot_budget = load_sheet("north-depot-2027.xlsx")'

DRAFT = f"""\
---
title: 代码草稿
review:
---

# 代码草稿

| English | 中文 |
| --- | --- |
| function | 函数 |
| undefined | 未定义 |
| JavaScript | 脚本语言 |
| https://github.com/squidfunk/mkdocs-material | 主题 |

参见 https://www.mkdocs.org/user-guide/configuration/ 与 <https://squidfunk.github.io/mkdocs-material/>。

```javascript
function setTheme() {{ return document.querySelector("body"); }}
if (typeof window === "undefined") {{ return; }}
```

```python
def main():
    return None

{CODE_LINE}
```

{ZH}。

{EN}.
"""

GUIDE = """\
# 使用指南

!!! note "说明"

    本指南介绍示例系统的基本操作。

![流程图](img/flow.png)

```python
total = sum(values)  # (1)!
```

1.  对全部数值求和。

??? tip "提示"

    折叠的提示内容。
"""

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


def material_site(make_site, custom_dir: str | None = None, **kw):
    custom = f"\n  custom_dir: {custom_dir}" if custom_dir else ""
    site = make_site(mkdocs_extra=MATERIAL_YML.format(custom=custom), **kw)
    if custom_dir:
        site.write_override = lambda text: (
            (site.root / custom_dir / "assets").mkdir(parents=True, exist_ok=True),
            (site.root / custom_dir / "assets" / "site.js").write_text(text, encoding="utf-8"))
    site.write("index.md", page("# 首页\n\n示例系统的公开首页。\n"))
    site.sign_all("index.md")
    site.write("guide/img/flow.png", PNG)
    digest = hashlib.sha256(PNG).hexdigest()
    site.write("guide/index.md", page(GUIDE, review_extra=f"attachments:\n"
                                                          f"  - {{path: img/flow.png, sha256: {digest}}}\n"))
    site.sign_all("guide/index.md")
    site.write("drafts/code-draft.md", DRAFT)
    site.write("drafts/plan.md", page(f"# 内部计划\n\n{ZH}。\n\n| 项 | 值 |\n| --- | --- |\n"
                                      "| function | undefined |\n", disclosure="不予公开"))
    site.sign_all("drafts/plan.md")
    return site


def html_pages(site) -> set[str]:
    return {f for f in site.output_files() if f.endswith(".html")}


def test_code_heavy_withheld_pages_do_not_stop_a_material_build(make_site, caplog):
    caplog.set_level(logging.INFO)
    site = material_site(make_site)
    site.build()
    files = site.output_files()
    # Exactly the signed pages (and the theme's 404 page), with the page's image.
    assert html_pages(site) == {"index.html", "guide/index.html", "404.html"}, files
    assert "guide/img/flow.png" in files
    assert not any(f.startswith("drafts/") for f in files)
    site.assert_absent(ZH, EN, CODE_LINE, "代码草稿", "内部计划", "north-depot-2027")
    text = site.output_text()
    # What the withheld tables say is in Material's own files, and that is no leak.
    bundle = [f for f in files if f.startswith("assets/javascripts/bundle.") and f.endswith(".js")]
    assert bundle and "function" in (site.root / "site" / bundle[0]).read_text(encoding="utf-8")
    assert "undefined" in text and "JavaScript" in text
    # The published page's Material features were built.
    guide = (site.root / "site" / "guide" / "index.html").read_text(encoding="utf-8")
    assert 'class="admonition note"' in guide
    assert "对全部数值求和" in guide and "<details" in guide
    assert "leak scan: 0" in caplog.text


def test_the_sample_site_row_function_builds_with_the_mkdocs_theme(make_site):
    """The issue's reproduction: ``| function | 函数 |`` in a draft beside MkDocs' own theme."""
    site = make_site(mkdocs_extra="theme:\n  name: mkdocs\n  locale: zh\n")
    site.write("index.md", page("# 首页\n\n公开正文。\n"))
    site.sign_all("index.md")
    site.write("drafts/code-draft.md", DRAFT)
    site.build()
    assert "js/base.js" in site.output_files() and "search/lunr.js" in site.output_files()
    site.assert_absent(ZH, EN, CODE_LINE)


COPY_HOOK = """\
from pathlib import Path


def on_post_build(config):
    # Another route into the output: the hook reads the withheld draft and writes it out.
    src = Path(config.config_file_path).parent / 'content' / 'drafts' / 'code-draft.md'
    Path(config.site_dir, 'assets', 'javascripts', 'extra.js').write_text(
        'var notes = ' + repr(src.read_text(encoding='utf-8')) + ';\\n', encoding='utf-8')
"""


def test_withheld_text_copied_by_an_approved_hook_is_caught_and_shown_where(make_site, caplog):
    site = material_site(make_site)
    site.add_hook(COPY_HOOK)  # approved as a build input: it still may not publish the draft
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert not (site.root / "site").exists()
    log = caplog.text
    # The distinctive text, named by page, with its position in the file — not the common words.
    assert f"assets/javascripts/extra.js: leaked-text: 未发布页面 withheld page drafts/code-draft.md “{ZH}” 位置 at 1:" in log
    assert "“Thenortherndepotrelocation" in log
    assert "“function”" not in log and "“undefined”" not in log and "“JavaScript”" not in log
    assert "第二条" in log and "第十条" in log


OVERRIDE_JS = f"""\
// Site script, approved with the theme overrides.
{CODE_LINE};
"""


def override_site(make_site, js: str, **kw):
    """A Material site whose approved theme overrides hold a site script ``js``."""
    site = material_site(make_site, custom_dir="overrides", **kw)
    site.write_override(js)
    site.commit_all("theme overrides")
    site.approve_inputs()
    return site


def test_an_approved_override_whitelists_shared_code_but_never_withheld_prose(make_site, caplog):
    site = override_site(make_site, OVERRIDE_JS)
    site.build()  # the draft's code line is in the approved site script: no evidence
    assert CODE_LINE in (site.root / "site" / "assets" / "site.js").read_text(encoding="utf-8")
    site.assert_absent(ZH, EN)
    # The same override approved with the draft's sentence in it: still a leak.
    site.write_override(OVERRIDE_JS + f"// {ZH}\n")
    site.commit_all("override")
    site.approve_inputs()
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "assets/site.js: leaked-text: 未发布页面 withheld page drafts/" in caplog.text
    assert f"“{ZH}” 位置 at 3:4" in caplog.text
    assert f"“{CODE_LINE.replace(' ', '')}”" not in caplog.text


def verify(site, out: str) -> tuple[int, list[dict], dict]:
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", out,
                           "--format", "json"], cwd=site.root, capture_output=True, text=True)
    assert proc.stdout.strip(), proc.stderr
    checked = next((json.loads(line)["checked"] for line in proc.stderr.splitlines()
                    if line.startswith('{"checked"')), {})
    return proc.returncode, json.loads(proc.stdout), checked


def test_an_unapproved_override_whitelists_nothing(make_site):
    """The editor changes the approved override to hold the draft's code, without approval:
    the build refuses the site, and verify-site (for output made by any generator) still
    looks for that code — the unapproved file launders nothing."""
    site = override_site(make_site, "// Site script.\n", auto_inputs=False)
    site.build()
    out = site.root / "site"
    kept = site.root / "kept-site"
    shutil.copytree(out, kept)
    site.write_override(OVERRIDE_JS)
    site.commit_all("override: not approved")
    shutil.copy(site.root / "overrides" / "assets" / "site.js", kept / "assets" / "site.js")
    with pytest.raises((PluginError, Abort)):
        site.build()
    code, hits, checked = verify(site, "kept-site")
    assert code == 1
    assert any(h["kind"] == "site-inputs.changed" for h in hits), hits
    leak = [h for h in hits if h["path"] == "assets/site.js" and h["kind"] == "leaked-text"]
    assert leak and leak[0]["text"] == CODE_LINE.replace(" ", "") and leak[0]["position"] == "2:1"
    assert checked["public_packages"] == []  # nothing counted as public with inputs unapproved


def test_files_copied_from_the_theme_are_not_scanned_but_a_changed_copy_is(make_site):
    from secrecy_gate.build.public import PublicFiles
    from secrecy_gate.build.verify import scanner_from_inputs
    templates = os.path.join(os.path.dirname(material.__file__), "templates")
    bundle = next(os.path.join(root, f) for root, _, fs in os.walk(templates) for f in fs
                  if f.startswith("bundle.") and f.endswith(".min.js"))
    data = open(bundle, "rb").read()
    files = PublicFiles(["mkdocs-material"])
    assert files.names and files.holds(data) and not files.holds(data + b"\n")
    scanner = scanner_from_inputs([(DRAFT, "未发布页面 withheld page drafts/code-draft.md", False)],
                                  [], [], {"packages": ["mkdocs-material"], "inputs": []})
    site_dir = make_site().root / "out"
    (site_dir / "js").mkdir(parents=True)
    (site_dir / "js" / "bundle.js").write_bytes(data)
    (site_dir / "js" / "bundle-changed.js").write_bytes(data + f"\n/* {ZH} */\n".encode())
    hits = scanner.scan_dir(site_dir)
    assert [(h.path, h.text) for h in hits] == [("js/bundle-changed.js", ZH)]
    assert hits[0].position.endswith(":4")
    # Common words and what the theme holds are not needles; the draft's own text is.
    summary = scanner.summary
    assert summary.common > 0 and summary.public > 0 and summary.needles >= 3


def test_only_files_a_package_recorded_count_as_public(tmp_path):
    """A file added to an installed package's directory (a virtual environment kept in the
    repository) or changed there is no public text: only RECORD's files with its digests."""
    from secrecy_gate.build.public import PublicFiles
    templates = os.path.join(os.path.dirname(material.__file__), "templates")
    if not os.access(templates, os.W_OK):
        pytest.skip("the installed package directory is read-only")
    added = os.path.join(templates, "sg-test-added.js")
    with open(added, "w", encoding="utf-8") as fh:
        fh.write(f"var x = '{CODE_LINE}';\n")
    try:
        files = PublicFiles(["mkdocs-material"])
        assert not files.holds(open(added, "rb").read())
        assert not any(CODE_LINE.replace(" ", "") in t for t in files.texts())
    finally:
        os.remove(added)


def test_what_counts_as_a_needle():
    from secrecy_gate.scanners.leakscan import is_common, is_prose, needles_from_text
    assert is_common("function") and is_common("JavaScript") and is_common("returnNone")
    assert not is_common("函数定义与调用方法") and not is_common("Thenortherndepotrelocation")
    assert is_prose(ZH) and is_prose(EN) and not is_prose(CODE_LINE)
    prose: set[str] = set()
    needles = needles_from_text(DRAFT, prose=prose)
    assert ZH in needles and ZH in prose
    assert CODE_LINE.replace(" ", "") in needles and CODE_LINE.replace(" ", "") not in prose
