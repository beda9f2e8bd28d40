"""The leak scan, run beside the build instead of after it (第二条).

MkDocs renders pages on one core.  While it does, a second process scans
each page's HTML as it is handed over in ``on_post_page``; at the end it
scans every other file in the output (search index, sitemaps, copies,
whatever another plugin or an old build left) and re-reads each page file
to check it is still what was scanned.  A failure or silence of the worker
is a hit: the scan fails closed.

The worker is ``python -m secrecy_gate.build.leakwatch``, a fresh interpreter that
talks pickle frames over its stdin and stdout — not ``multiprocessing``,
whose "spawn" would re-run a user's build script that lacks a
``__main__`` guard, and whose "fork" does not mix with ``mkdocs serve``'s
threads.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
from pathlib import Path

from ..scanners import LeakHit, LeakScanner, documents
from ..scanners.leakscan import UNSCANNABLE, Forked, can_fork, content_digest

# How long the build waits for the worker's answer after the last page.
RESULT_TIMEOUT_S = 3600
# Pages waiting to be sent to the worker.  Bounded, so that a worker slower than
# the build holds the build back instead of letting its memory grow page by page.
BACKLOG_PAGES = 256
_INIT, _PAGE, _FILES, _DONE = "init", "page", "files", "done"
# Documents read ahead for the review (``extract``), and each extract sent back.
_EXTRACT, _EXTRACTED = "extract", "extracted"


def documents_ahead(docs_dir: Path, others: list[str]) -> LeakWatch:
    """A scanning process started now that reads the site's documents (``others`` holding a
    document's name) for the review, on the other core; ``start`` it afterwards to scan,
    or ``abandon`` it (``secrecy-gate check``)."""
    watch = LeakWatch()
    docs = [p for p in others if os.path.splitext(p.lower())[1] in documents.OFFICE_EXTENSIONS]
    if docs:
        watch.extract([(p, str(Path(docs_dir) / p)) for p in docs])
    return watch


def _fail(reason: str) -> list[LeakHit]:
    return [LeakHit("(leak scan)", UNSCANNABLE, f"the leak scan did not complete: {reason}", "",
                    "第二条")]


def _resolve(name: str):
    module, _, attr = name.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class LeakWatch:
    """Scan page HTML as it is produced; ``finish`` returns every hit in the output."""

    def __init__(self, make_scanner=None, *scanner_args, extracts=()):
        """Start the scanning process; with ``make_scanner``, ``start`` it at once.

        Started before the review (``make_scanner`` None), the process can first read
        the site's documents for the review (``extract``), on the other core."""
        env = dict(os.environ)
        # The worker imports exactly what this interpreter can import.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._proc = subprocess.Popen([sys.executable, "-m", "secrecy_gate.build.leakwatch"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._outbox: queue.Queue = queue.Queue(maxsize=BACKLOG_PAGES)
        self._answer: list = []
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._writer.start()
        self._reader.start()
        if make_scanner is not None:
            self.start(make_scanner, *scanner_args, extracts=extracts)

    def extract(self, items: list[tuple[str, str]]) -> None:
        """(name, path) of documents the review will read: the scanning process reads them
        now, in this order, and sends each extract back into this process's
        ``documents.CACHE``, keyed by the SHA-256 of the bytes it read.  The review reads
        each file itself and looks its own bytes' key up: a file changed in between is not
        found and is read again here.  The process stops reading ahead once ``start``
        arrives; what it did not send, the review reads itself."""
        self._send((_EXTRACT, items))

    def start(self, make_scanner, *scanner_args, extracts=()) -> None:
        """Build the scanner (``make_scanner(*scanner_args)``) and start scanning.

        ``extracts``: ``documents.CACHE.snapshot()`` of this process — the attachments the
        review read.  The worker's cache takes them in, so a published attachment copied
        unchanged into the output is not read a second time (its key is the SHA-256 of its
        bytes: any change to the copy is read afresh)."""
        name = f"{make_scanner.__module__}:{make_scanner.__qualname__}"
        self._send((_INIT, (name, scanner_args, list(extracts))))

    def _write(self) -> None:
        try:
            while True:
                msg = self._outbox.get()
                pickle.dump(msg, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                if msg[0] == _DONE:
                    self._proc.stdin.close()
                    return
                if msg[0] != _PAGE or self._outbox.empty():
                    # Now, not when the buffer fills: the documents to read ahead, the
                    # scanner, the files to copy — and a page when no other is waiting.
                    self._proc.stdin.flush()
        except (OSError, ValueError):
            return  # the worker is gone; finish() reports it

    def _read(self) -> None:
        try:
            while True:
                frame = pickle.load(self._proc.stdout)
                if isinstance(frame, tuple) and len(frame) == 3 and frame[0] == _EXTRACTED:
                    documents.CACHE.seed([frame[1:]])
                    continue
                self._answer.append(frame)
                return
        except Exception as exc:  # noqa: BLE001 - reported as a failed scan
            self._answer.append(_fail(f"no readable answer from the scanning process: {exc!r}"))

    def _send(self, msg) -> None:
        """Queue a frame; if the writer has stopped (the worker is gone), drop it:
        ``finish`` then reports the failed scan, and the build fails."""
        while self._writer.is_alive():
            try:
                self._outbox.put(msg, timeout=1)
                return
            except queue.Full:
                continue

    def page(self, rel: str, html: str) -> None:
        self._send((_PAGE, (rel, html)))

    def files(self, items: list[tuple[str, str]]) -> None:
        """(output path, source path) of files MkDocs will copy byte for byte (attachments,
        images): scanned from their source now, while MkDocs renders the pages, instead of
        at the end.  What a file's scan found counts only if the output file ends up with
        exactly the bytes scanned; otherwise the file is scanned as it was written."""
        self._send((_FILES, items))

    def finish(self, site_dir: Path) -> list[LeakHit]:
        self._send((_DONE, str(site_dir)))
        self._reader.join(timeout=RESULT_TIMEOUT_S)
        hits = self._answer[0] if self._answer else _fail("no answer from the scanning process")
        try:
            code = self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = None
        if code not in (0, None) and not any(h.kind == UNSCANNABLE for h in hits):
            hits = list(hits) + _fail(f"the scanning process ended with exit code {code}")
        return hits

    def abandon(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()


def _scan_copies(scanner: LeakScanner, items) -> dict[str, tuple[bytes, list[LeakHit]]]:
    """Output path -> (digest, hits) of each source file MkDocs copies as it is; a source
    that cannot be read is left out (its output is scanned at the end, as written)."""
    out = {}
    for rel, source in items:
        try:
            data = Path(source).read_bytes()
        except OSError:
            continue
        out[rel] = (content_digest(data), scanner.scan_bytes(rel, data))
    return out


def _read_ahead(items, stdin, stdout) -> None:
    """Read each document for the review and send its extract back, until the review is
    over (the next frame is waiting): from then on the scan comes first."""
    for name, path in items:
        try:
            if select.select([stdin], [], [], 0)[0]:
                return
        except (OSError, ValueError):  # a pipe select cannot watch (Windows): no reading ahead
            return
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        sha = hashlib.sha256(data).hexdigest()
        extract = documents.extract(name, data, sha)
        if extract is not None:
            pickle.dump((_EXTRACTED, documents.cache_key(name, data, sha), extract), stdout,
                        protocol=pickle.HIGHEST_PROTOCOL)
            stdout.flush()


def _serve(stdin, stdout) -> int:
    """The worker: read frames until ``done``, answer with every hit."""
    try:
        kind, payload = pickle.load(stdin)
        while kind == _EXTRACT:
            _read_ahead(payload, stdin, stdout)
            kind, payload = pickle.load(stdin)
        if kind != _INIT:
            raise ValueError(f"expected {_INIT}, got {kind}")
        name, scanner_args, extracts = payload
        if extracts:
            documents.CACHE.seed(extracts)
        scanner: LeakScanner = _resolve(name)(*scanner_args)
        hits: list[LeakHit] = []
        scanned: dict[str, bytes] = {}
        copies: dict[str, tuple[bytes, list[LeakHit]]] = {}  # each copy's digest and hits
        forked: list[Forked] = []
        while True:
            kind, payload = pickle.load(stdin)
            if kind == _DONE:
                break
            if kind == _FILES:
                # In a forked copy of this process where it can be (its scanner is built):
                # the copies and the pages are scanned at once, each on a core.
                if can_fork():
                    forked.append(Forked(lambda items=payload: _scan_copies(scanner, items)))
                else:
                    copies.update(_scan_copies(scanner, payload))
                continue
            rel, html = payload
            data = html.encode("utf-8")
            scanned[rel] = content_digest(data)
            hits.extend(scanner.scan_bytes(rel, data))
        for job in forked:
            copies.update(job.result())
        scanned.update((rel, digest) for rel, (digest, _) in copies.items())
        unchanged: set[str] = set()
        hits.extend(scanner.scan_dir(Path(payload), already=scanned, unchanged=unchanged))
        # A copy's hits stand when the output holds exactly what was scanned; a copy changed
        # since was scanned again by scan_dir, and one that was never written holds nothing.
        hits.extend(h for rel, (_, found) in copies.items() if rel in unchanged for h in found)
        result = sorted(hits, key=lambda h: h.path)
    except BaseException as exc:  # noqa: BLE001 - any failure must reach the build as a hit
        result = _fail(repr(exc))
    pickle.dump(result, stdout, protocol=pickle.HIGHEST_PROTOCOL)
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.stdin.buffer, sys.stdout.buffer))
