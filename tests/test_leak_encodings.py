"""The leak scan undoes every encoding a template, a plugin or a hook can write text in (第二条).

A real MkDocs hook writes a withheld page's text into the output, each time
in another encoding and into another file; the gated build must fail, name
every one of those files and remove the output, and ``secrecy-gate
verify-site`` must find every one in an output built without the gate.  A
clean Material site (code, images, the search plugin, Chinese file names)
must pass with no hit; random garbage of every decodable kind must never
crash the scanner.
"""

import base64
import gzip
import json
import random
import subprocess
import sys
import time

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, PluginError

from conftest import page
from secrecy_gate.scanners import LeakScanner, needles_from_text
from secrecy_gate.scanners.encodings import MAX_ROUNDS, decode_all
from secrecy_gate.scanners.leakscan import LEAKED_TEXT, UNSCANNABLE, LeakHit, squash

ZH = "东河湾南岸暗渠的应急调度预案代号为青松七号"
EN = "Operation Blue Pine covers the northern reservoir intake."
WITHHELD = f"# 内部安排\n\n{ZH}。\n\n{EN}\n"

# Each case: (file written by the hook, Python expression of its text — or bytes — from ZH/EN).
CASES = {
    "href-percent.html": "'<a href=\"https://x.example/s?q=' + quote(ZH) + '\">搜索</a>'",
    "jinja-urlencode.html": "Environment().from_string('<a href=\"?q={{ t|urlencode }}\">x</a>').render(t=ZH)",
    "query-plus-latin.html": "'<a href=\"/s?' + urlencode({'q': EN, 'p': 1}) + '\">x</a>'",
    "percent-in-text.html": "'<p>' + quote(ZH) + '</p>'",
    "percent-gbk.html": "'<a href=\"/s?q=' + quote(ZH, encoding='gbk') + '\">x</a>'",
    "percent-js-escape.html": "'<a href=\"#' + ''.join('%%u%04X' % ord(c) for c in ZH) + '\">x</a>'",
    "percent-in-json.json": "json.dumps({'url': '/s?q=' + quote(ZH)})",
    "percent-in-script.js": "'var u = \"' + quote(ZH) + '\";'",
    "percent-in-style.css": "'.x{background:url(\"/i?q=' + quote(ZH) + '\")}'",
    "sitemap-loc.xml": "'<?xml version=\"1.0\"?><urlset><url><loc>https://x.example/' + quote(ZH) "
                       "+ '/</loc></url></urlset>'",
    "json-escapes.js": "'var s = ' + json.dumps(ZH) + ';'",
    "es6-escapes.js": "'var s = \"' + ''.join('\\\\u{%x}' % ord(c) for c in ZH) + '\";'",
    "python-bytes.js": "'var s = \"' + str(ZH.encode())[2:-1] + '\";'",
    "octal-git-quoted.txt": "'\"' + ''.join('\\\\%03o' % b for b in ZH.encode()) + '\"'",
    "css-escapes.css": "'.x::after{content:\"' + ''.join('\\\\%X ' % ord(c) for c in ZH) + '\"}'",
    "entity-attribute.html": "'<img alt=\"x\" title=\"' + ''.join('&#x%X;' % ord(c) for c in ZH) + '\">'",
    "entity-twice.html": "'<p>' + ''.join('&amp;#%d;' % ord(c) for c in ZH) + '</p>'",
    "entity-in-script.js": "'el.innerHTML = \"' + ''.join('&#%d;' % ord(c) for c in ZH) + '\";'",
    "data-uri-text.html": "'<a href=\"data:text/plain;base64,' + b64(ZH) + '\">下载</a>'",
    "data-uri-svg.html": "'<img src=\"data:image/svg+xml;base64,' + b64('<svg xmlns=\"http://www.w3.org/2000/svg\">"
                         "<text>' + ZH[:10] + '</text><text>' + ZH[10:] + '</text></svg>') + '\">'",
    "data-uri-percent-base64.html": "'<a href=\"data:text/plain;base64,' + quote(b64(ZH), safe='') + '\">x</a>'",
    "data-uri-gzip.html": "'<a href=\"data:application/gzip;base64,' "
                          "+ base64.b64encode(gzip.compress(ZH.encode())).decode() + '\">x</a>'",
    "base64-in-script.js": "'var s = new TextDecoder().decode(Uint8Array.from(atob(\"' + b64(ZH) + '\"), c => "
                           "c.charCodeAt(0)));'",
    "base64-urlsafe.json": "json.dumps({'token': base64.urlsafe_b64encode(ZH.encode()).decode()})",
    "hex-in-json.json": "json.dumps({'h': ZH.encode().hex()})",
    "base64-latin.html": "'<div data-x=\"' + b64(EN) + '\"></div>'",
    "percent-of-json-escapes.html": "'<a href=\"?s=' + quote(json.dumps(ZH)) + '\">x</a>'",
    "punycode.html": "'<a href=\"https://xn--' + ZH.encode('punycode').decode() + '.example/\">x</a>'",
    "gbk-text.txt": "ZH.encode('gbk')",
    "utf16-no-bom.txt": "ZH.encode('utf-16-le')",
}

HOOK = """\
import base64, gzip, json
from pathlib import Path
from urllib.parse import quote, urlencode
from jinja2 import Environment

ZH = {zh!r}
EN = {en!r}


def b64(text):
    return base64.b64encode(text.encode()).decode()


CASES = {{
{cases}
}}


def on_post_page(output, page, config):
    # Into a published page's own HTML, as a theme override or plugin would.
    if page.file.src_uri == 'index.md':
        return output.replace('</body>', '<a href="/s?q=' + quote(ZH) + '">相关</a></body>')
    return output


def on_post_build(config):
    for name, text in CASES.items():
        path = Path(config.site_dir, 'leak', name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding='utf-8')
"""


def hook_code() -> str:
    cases = "\n".join(f"    {name!r}: {expr}," for name, expr in CASES.items())
    return HOOK.format(zh=ZH, en=EN, cases=cases)


@pytest.fixture
def leaky(site):
    """A site with a published page, a withheld page and the hook planting its text."""
    site.write("index.md", page("# 首页\n\n公开的首页内容。\n"))
    site.sign_all("index.md")
    site.write("plan.md", page(WITHHELD, disclosure="不予公开"))
    site.sign_all("plan.md")
    site.add_hook(hook_code())
    return site


def test_every_encoding_planted_by_a_hook_fails_the_build(leaky, caplog):
    with pytest.raises((PluginError, Abort)):
        leaky.build()
    assert not (leaky.root / "site").exists()
    for name in CASES:
        assert f"leak/{name}: leaked-text: 未发布页面 withheld page plan.md" in caplog.text, name
    assert "index.html: leaked-text" in caplog.text
    # The build log is internal: it says what matched and where (issue 10), so that a real
    # leak can be told from ordinary text; a text planted encoded has no place to show.
    assert f"leak/gbk-text.txt: leaked-text: 未发布页面 withheld page plan.md “{ZH}” 位置 at 1:1" \
        in caplog.text
    assert f"leak/base64-latin.html: leaked-text: 未发布页面 withheld page plan.md “{squash(EN)}” " \
        "位置 at 解码后 decoded" in caplog.text


def test_verify_site_finds_every_encoding_in_an_output_built_without_the_gate(leaky):
    plain = leaky.root / "plain.yml"
    plain.write_text("site_name: x\ndocs_dir: content\nsite_dir: plain-site\nexclude_docs: plan.md\n"
                     "hooks:\n  - hook.py\n", encoding="utf-8")
    build(load_config(config_file=str(plain)))
    out = leaky.root / "plain-site"
    for name in CASES:
        raw = (out / "leak" / name).read_bytes()
        # Planted encoded: the text is not there as such (nor as its needle fragments).
        assert ZH.encode() not in raw and EN.encode() not in raw, name
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", "plain-site",
                           "--format", "json"], cwd=leaky.root, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    hits = json.loads(proc.stdout)
    found = {h["path"] for h in hits if h["kind"] == LEAKED_TEXT and "plan.md" in h["label"]}
    assert {f"leak/{name}" for name in CASES} <= found, sorted({f"leak/{n}" for n in CASES} - found)
    assert "index.html" in found
    gbk = next(h for h in hits if h["path"] == "leak/gbk-text.txt")
    assert (gbk["text"], gbk["position"]) == (ZH, "1:1")


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_encoding_decodes_to_the_needle(name, tmp_path):
    """Scanner level, one file each: which encoding fails is named by the test id."""
    namespace: dict = {}
    exec(hook_code(), namespace)
    text = namespace["CASES"][name]
    scanner = LeakScanner({n: "withheld page plan.md" for n in needles_from_text(WITHHELD)})
    data = text if isinstance(text, bytes) else text.encode()
    hits = scanner.scan_bytes(f"leak/{name}", data)
    assert [h.kind for h in hits] == [LEAKED_TEXT] * len(hits) and hits, name


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

CODE_PAGE = """\
# 接口说明

调用示例：

```python
import base64, urllib.parse
token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
url = "https://api.example.gov.cn/search?q=" + urllib.parse.quote("供水 公告") + "&page=2"
print(base64.b64encode(b"hello world"), "\\u4f9b\\u6c34", "%E4%BE%9B%E6%B0%B4")
```

```css
.icon::before { content: "\\f101"; background: url("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"); }
```

![示意图](img/figure.png)

<img alt="内嵌图" src="data:image/png;base64,{png}">

查询：[供水公告](https://www.example.gov.cn/s?q=%E4%BE%9B%E6%B0%B4+%E5%85%AC%E5%91%8A)
"""


def test_a_clean_material_site_passes_with_no_hit(make_site):
    pytest.importorskip("material")
    site = make_site(mkdocs_extra="theme:\n  name: material\n  language: zh\n  features:\n"
                                  "    - navigation.instant\n    - search.suggest\n    - content.code.copy\n"
                                  "markdown_extensions:\n  - pymdownx.highlight\n  - pymdownx.superfences\n"
                                  "  - attr_list\n",
                     plugin_options="      assets: ['img/*']\n")
    # A published page whose file name is a sentence of the withheld page: links hold it,
    # and so does the signed home page that links it (a name no signed text holds is not
    # public: tests/test_leak_redteam.py::test_page_renamed_to_a_withheld_sentence_fails).
    site.write("index.md", page("# 首页\n\n欢迎访问示例市人民政府网站。\n\n"
                                "[供水时间调整](关于调整供水时间的通知.md)\n"))
    site.write("接口说明.md", page(CODE_PAGE.replace("{png}", base64.b64encode(PNG).decode())))
    site.write("关于调整供水时间的通知.md", page("# 供水时间调整\n\n自下周起调整供水时间。\n"))
    site.write("img/figure.png", PNG)
    for rel in ("index.md", "接口说明.md", "关于调整供水时间的通知.md"):
        site.sign_all(rel)
    site.write("secret.md", page("# 内部\n\n关于调整供水时间的通知，另有内部安排：东河湾南岸暗渠的应急调度预案。\n",
                                 disclosure="不予公开"))
    site.sign_all("secret.md")
    site.build()
    files = site.output_files()
    assert any(f.startswith("assets/javascripts/bundle.") for f in files)
    assert any(f.startswith("assets/javascripts/lunr/") for f in files)
    assert "search/search_index.json" in files and "img/figure.png" in files
    site.assert_absent("东河湾南岸暗渠")
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", "site",
                           "--format", "json"], cwd=site.root, capture_output=True, text=True)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, []), proc.stdout


# -- bounded on hostile input --------------------------------------------------------------

def _garbage(rng: random.Random, size: int) -> bytes:
    """Bytes of the kinds the decoders read, mixed with noise."""
    pieces = [
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 40))),
        lambda: "".join(f"%{rng.getrandbits(8):02X}" for _ in range(rng.randint(1, 30))).encode(),
        lambda: "".join(f"%u{rng.getrandbits(16):04X}" for _ in range(rng.randint(1, 10))).encode(),
        lambda: "".join(f"\\u{rng.getrandbits(16):04x}" for _ in range(rng.randint(1, 10))).encode(),
        lambda: "".join(f"\\u{{{rng.getrandbits(24):x}}}" for _ in range(rng.randint(1, 5))).encode(),
        lambda: "".join(f"\\x{rng.getrandbits(8):02x}" for _ in range(rng.randint(1, 20))).encode(),
        lambda: "".join(f"\\{rng.getrandbits(9):o}" for _ in range(rng.randint(1, 20))).encode(),
        lambda: "".join(f"\\{rng.getrandbits(24):X} " for _ in range(rng.randint(1, 10))).encode(),
        lambda: "".join(f"&#{rng.getrandbits(22)};" for _ in range(rng.randint(1, 10))).encode(),
        lambda: "".join(f"&#x{rng.getrandbits(24):x}" for _ in range(rng.randint(1, 10))).encode(),
        lambda: b"data:image/svg+xml;base64," + base64.b64encode(rng.randbytes(rng.randint(0, 300))),
        lambda: b"data:text/plain;base64," + base64.b64encode(
            "".join(chr(rng.randint(0x20, 0x9fff)) for _ in range(rng.randint(1, 60)))
            .encode("utf-8", "replace")),
        lambda: base64.b64encode(gzip.compress(rng.randbytes(rng.randint(0, 200)))),
        lambda: b"data:application/gzip;base64," + base64.b64encode(rng.randbytes(rng.randint(2, 60))),
        lambda: b"xn--" + bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789-") for _ in range(30)),
        lambda: b"?q=" + bytes(rng.choice(b"ab+%2B3C") for _ in range(40)) + b"&x=1",
        lambda: b"\\" * rng.randint(1, 300) + b"u79d8",
        lambda: b"%25" * rng.randint(1, 20) + b"E7",
        lambda: rng.randbytes(rng.randint(8, 40)).hex().encode(),
        lambda: b"<svg><text>" + rng.randbytes(20) + b"</text></svg>",
        lambda: b"\x1f\x8b" + rng.randbytes(30),
    ]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(pieces)()
    return bytes(out[:size])


@pytest.mark.parametrize("seed", range(40))
def test_random_garbage_of_every_decodable_kind_never_crashes_the_scanner(seed):
    rng = random.Random(seed)
    scanner = LeakScanner({n: "withheld page plan.md" for n in needles_from_text(WITHHELD)})
    for ext in (".html", ".js", ".css", ".json", ".txt", ".svg", ".xml", ".map", ""):
        data = _garbage(rng, rng.randint(0, 4000))
        if rng.random() < 0.2:
            data = gzip.compress(data)
        hits = scanner.scan_bytes(f"f{ext}", data)
        assert all(isinstance(h, LeakHit) for h in hits)
        # Garbage never says the withheld text.
        assert all(h.kind != LEAKED_TEXT for h in hits), [h.render() for h in hits]


def test_nesting_beyond_the_rounds_is_reported_not_ignored():
    text = ZH
    for _ in range(MAX_ROUNDS + 1):
        text = "".join(f"%{b:02X}" for b in text.encode())
    decoded = decode_all(text)
    assert decoded.too_deep
    scanner = LeakScanner({n: "withheld page plan.md" for n in needles_from_text(WITHHELD)})
    kinds = {h.kind for h in scanner.scan_bytes("deep.html", f"<p>{text}</p>".encode())}
    assert UNSCANNABLE in kinds
    # Nested as deep as the rounds go: decoded and found.
    text = ZH
    for _ in range(MAX_ROUNDS - 1):
        text = "".join(f"%{b:02X}" for b in text.encode())
    hits = scanner.scan_bytes("deep.html", f"<p>{text}</p>".encode())
    assert [h.kind for h in hits] == [LEAKED_TEXT]


def test_decoding_a_hostile_megabyte_stays_fast():
    scanner = LeakScanner({n: "withheld page plan.md" for n in needles_from_text(WITHHELD)})
    hostile = [
        b"%25" * 350_000,
        b"\\\\" * 500_000,
        b"&amp;" * 200_000,
        (b"QUJD" * 250_000),
        b"data:text/plain;base64," + base64.b64encode(b"%" * 700_000),
        b"?a=" + b"+" * 1_000_000,
    ]
    for data in hostile:
        started = time.process_time()
        scanner.scan_bytes("hostile.html", data)
        scanner.scan_bytes("hostile.js", data)
        assert time.process_time() - started < 10, data[:20]
