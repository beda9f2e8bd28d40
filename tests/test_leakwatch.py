"""The background leak scan finds the same leaks as the scan after the build (第二条)."""

import logging

import pytest
from mkdocs.exceptions import Abort, PluginError

import secrecy_gate.build.plugin as plugin_module
from conftest import page


@pytest.fixture
def background(monkeypatch, caplog):
    """Every build scans in the background; yields the pages handed to the scanning process."""
    caplog.set_level(logging.INFO, logger="mkdocs")
    monkeypatch.setattr(plugin_module, "BACKGROUND_SCAN_PAGES", 1)
    handed = []
    original = plugin_module.LeakWatch.page

    def page(self, rel, html):
        handed.append(rel)
        return original(self, rel, html)
    monkeypatch.setattr(plugin_module.LeakWatch, "page", page)
    return handed


def test_clean_site_passes_with_the_background_scan(site, background, caplog):
    site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    site.build()
    assert "leak scan: 0" in caplog.text
    assert background == ["index.html"]


def test_marking_in_page_html_is_caught_by_the_background_scan(site, background, caplog):
    site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    site.add_hook("def on_page_content(html, page, config, files):\n    return '<p>绝密★长期</p>' + html\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "index.html: secrecy-marking" in caplog.text
    assert background == ["index.html"]
    assert not (site.root / "site").exists()


def test_page_file_rewritten_after_it_was_scanned_is_scanned_again(site, background, caplog):
    site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    site.write("secret.md", page("# 内部\n\n后来被写进首页的内部文字戌亥子丑。\n", disclosure="不予公开"))
    site.sign_all("secret.md")
    site.add_hook("from pathlib import Path\n"
                "def on_post_build(config):\n"
                "    p = Path(config.site_dir, 'index.html')\n"
                "    p.write_text(p.read_text(encoding='utf-8') + '<p>后来被写进首页的内部文字戌亥子丑。</p>',"
                " encoding='utf-8')\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "index.html: leaked-text" in caplog.text


def test_worker_uses_the_reviews_extracts_by_the_bytes_digest(tmp_path):
    """The scanning process takes in the extracts the review made (``extracts=``), keyed by
    the SHA-256 of the bytes read: an output file with exactly those bytes is not read again.
    Shown with a planted extract that says more than the file: the hit proves it was used."""
    import hashlib

    import docfiles as D
    from secrecy_gate.build.leakwatch import LeakWatch
    from secrecy_gate.scanners import LeakScanner
    from secrecy_gate.scanners.documents.model import Extract, Text

    withheld = "只在预先读出的文字里出现的内部句子庚辛壬癸"
    data = D.docx(["公开的通知正文"])
    (tmp_path / "a.docx").write_bytes(data)
    planted = Extract("ooxml", [Text(text=withheld)])
    key = f"{hashlib.sha256(data).hexdigest()}:.docx"
    watch = LeakWatch(LeakScanner, {withheld: "withheld page x.md"}, extracts=[(key, planted)])
    hits = watch.finish(tmp_path)
    assert [(h.path, h.kind) for h in hits] == [("a.docx", "leaked-text")]
    # Without the planted extract the same file is read, and is clean.
    assert LeakWatch(LeakScanner, {withheld: "withheld page x.md"}).finish(tmp_path) == []


def test_attachment_changed_after_review_is_read_afresh(site, background, caplog):
    """A published attachment rewritten in the output after the review (a hook putting a
    withheld sentence into the copy) has other bytes, so another key: the scanning process
    reads it itself and finds the sentence — the review's extract of the original is not
    taken for it."""
    import docfiles as D
    withheld = "水源地备用取水口改造的内部论证意见甲乙丙丁"
    _published_attachment(site, "files/guide.docx", D.docx(["公开的申报指南正文"]), withheld)
    assert site.review().files["files/guide.docx"].published
    leaked = D.docx(["公开的申报指南正文", withheld])
    site.add_hook("from pathlib import Path\n"
                  "def on_post_build(config):\n"
                  f"    Path(config.site_dir, 'files', 'guide.docx').write_bytes({leaked!r})\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "files/guide.docx: leaked-text" in caplog.text
    assert not (site.root / "site").exists()


def _published_attachment(site, rel: str, data: bytes, sentence: str) -> None:
    """A signed home page listing and linking ``rel`` (``data``), and a signed withheld page
    made of ``sentence``."""
    import hashlib
    site.write(rel, data, commit=False)
    site.write("index.md", page(f"# 首页\n\n[附件]({rel})\n",
                                review_extra=f"attachments:\n  - {{path: {rel}, sha256: "
                                             f"{hashlib.sha256(data).hexdigest()}}}\n"))
    site.sign_all("index.md")
    site.write("secret.md", page(f"# 内部\n\n{sentence}\n", disclosure="不予公开"))
    site.sign_all("secret.md")


def _txt_attachment(site, sentence: str) -> None:
    """``files/notes.txt`` (text: not public the way a document's reviewed text is) holding
    ``sentence``, published, and a withheld page made of that sentence."""
    _published_attachment(site, "files/notes.txt", f"会议记录\n{sentence}\n".encode(), sentence)


def test_copied_file_is_scanned_while_pages_render(site, background, caplog, monkeypatch):
    """An approved file MkDocs copies as it is is scanned from the stage as soon as the files
    are judged (not at the end), and what it holds is still a hit of the output."""
    import secrecy_gate.build.leakwatch as lw
    sent = []
    original = lw.LeakWatch.files
    monkeypatch.setattr(lw.LeakWatch, "files", lambda self, items: (sent.extend(items), original(self, items)))
    sentence = "供水管网第三期改造的内部比选意见子丑寅卯"
    _txt_attachment(site, sentence)
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert [rel for rel, _ in sent] == ["files/notes.txt"]
    assert "files/notes.txt: leaked-text" in caplog.text


def test_copied_file_removed_from_the_output_is_no_hit(site, background, caplog):
    """What the early scan of a copy found counts only if the output holds exactly those
    bytes: a file a plugin removes from the output afterwards is no leak."""
    sentence = "供水管网第三期改造的内部比选意见辰巳午未"
    _txt_attachment(site, sentence)
    site.add_hook("import os\n"
                  "def on_post_build(config):\n"
                  "    os.remove(os.path.join(config.site_dir, 'files', 'notes.txt'))\n")
    site.build()
    assert "leak scan: 0" in caplog.text


def _search_index(tmp_path, texts: list[str]):
    import json
    docs = [{"location": f"p{i}/", "title": f"页面{i}", "text": t} for i, t in enumerate(texts)]
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "search_index.json").write_text(
        json.dumps({"config": {"lang": ["zh"]}, "docs": docs}, ensure_ascii=False), encoding="utf-8")


def test_large_search_index_is_scanned_in_two_processes_and_misses_nothing(tmp_path):
    """A search index of several megabytes is scanned in batches, every second one by a
    forked copy of the scanning process: a needle in either half is found."""
    from secrecy_gate.scanners import leakscan
    filler = "公开的政务信息正文内容。" * 60
    first, second = "第一个只在索引前半出现的内部句子甲乙", "第二个只在索引后半出现的内部句子丙丁"
    texts = [filler] * 8000
    texts[100], texts[2000] = first + filler, filler + second  # batches 0 and 1 (1 MB each)
    _search_index(tmp_path, texts)
    assert len(list(leakscan._json_strings((tmp_path / "search" / "search_index.json").read_text(
        encoding="utf-8")))) >= leakscan.PARALLEL_BATCHES
    out = _in_fresh_process(f"""
        import sys
        from secrecy_gate.scanners import LeakScanner, leakscan
        assert leakscan.can_fork()
        scanner = LeakScanner({{{first!r}: "withheld page a.md", {second!r}: "withheld page b.md"}})
        print(sorted((h.path, h.label) for h in scanner.scan_dir(sys.argv[1])))
    """, tmp_path)
    assert out.strip() == str([("search/search_index.json", "withheld page a.md"),
                                ("search/search_index.json", "withheld page b.md")])


def _in_fresh_process(code: str, tmp_path) -> str:
    """Run ``code`` in a new interpreter (no thread of other tests: fork is allowed there)."""
    import subprocess
    import sys
    import textwrap
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_forked_half_that_fails_fails_the_scan(tmp_path):
    """The forked copy dying gives no answer: the scan raises (the build's leak scan turns
    that into a hit: it fails closed), it does not return the parent's half alone."""
    _search_index(tmp_path, ["公开的政务信息正文内容。" * 60] * 8000)
    out = _in_fresh_process("""
        import os, sys
        from pathlib import Path
        from secrecy_gate.scanners import LeakScanner, leakscan
        assert leakscan.can_fork()
        parent, original = os.getpid(), LeakScanner._scan_decoded
        def dying(self, *args, **kw):
            if os.getpid() != parent:
                os._exit(3)
            return original(self, *args, **kw)
        LeakScanner._scan_decoded = dying
        try:
            LeakScanner({"任何一个不会出现的内部句子": "withheld page a.md"}).scan_dir(Path(sys.argv[1]))
            print("returned")
        except (EOFError, RuntimeError) as exc:
            print("raised", type(exc).__name__)
    """, tmp_path)
    assert out.startswith("raised"), out


def test_forked_scan_of_copies_that_dies_fails_the_scan(tmp_path):
    """The copies are scanned by a forked copy of the scanning process while it scans the
    pages; if that copy dies, the answer is a failed scan (the build fails), never the
    pages' hits alone."""
    (tmp_path / "a.txt").write_text("公开文字", encoding="utf-8")
    out = _in_fresh_process("""
        import io, os, pickle, sys
        import secrecy_gate.build.leakwatch as lw
        root = sys.argv[1]
        parent = os.getpid()
        def dying(scanner, items):
            if os.getpid() != parent:
                os._exit(5)
            return {}
        lw._scan_copies = dying
        frames = io.BytesIO()
        for frame in ((lw._INIT, ("secrecy_gate.scanners:LeakScanner", ({"内部句子子丑寅卯辰巳": "x"},), [])),
                      (lw._FILES, [("a.txt", os.path.join(root, "a.txt"))]),
                      (lw._PAGE, ("index.html", "<p>公开</p>")),
                      (lw._DONE, root)):
            pickle.dump(frame, frames)
        frames.seek(0)
        out = io.BytesIO()
        assert lw.can_fork()
        lw._serve(frames, out)
        hits = pickle.loads(out.getvalue())
        print([h.kind for h in hits], "did not complete" in hits[0].label)
    """, tmp_path)
    assert out.strip() == "['unscannable'] True", out


def test_documents_read_ahead_arrive_keyed_by_their_bytes(tmp_path):
    """Started before the review, the scanning process reads the site's documents and sends
    each extract back into this process's cache, keyed by the SHA-256 of the bytes it read:
    the review finds it for those bytes, and not for a file changed since."""
    import time

    import docfiles as D
    from secrecy_gate.build.leakwatch import LeakWatch
    from secrecy_gate.scanners import LeakScanner, documents
    first = D.docx(["提前读取的附件正文甲"])
    (tmp_path / "a.docx").write_bytes(first)
    key = documents.cache_key("files/a.docx", first)
    documents.CACHE.items.pop(key, None)
    watch = LeakWatch()
    watch.extract([("files/a.docx", str(tmp_path / "a.docx"))])
    deadline = time.monotonic() + 60
    while key not in documents.CACHE.items and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "提前读取的附件正文甲" in documents.CACHE.items[key].texts[0].text
    reads = documents.CACHE.reads
    assert "提前读取的附件正文甲" in documents.extract("files/a.docx", first).texts[0].text
    assert documents.CACHE.reads == reads  # found, not read again here
    changed = D.docx(["之后改动的附件正文乙"])
    assert "之后改动的附件正文乙" in documents.extract("files/a.docx", changed).texts[0].text
    assert documents.CACHE.reads == reads + 1
    watch.start(LeakScanner, {"不会出现的内部句子丙丁戊己": "x"})
    assert watch.finish(tmp_path) == []
