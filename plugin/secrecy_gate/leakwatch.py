"""The leak scan, run beside the build instead of after it (SPEC §5).

MkDocs renders pages on one core.  While it does, a second process scans
each page's HTML as it is handed over in ``on_post_page``; at the end it
scans every other file in the output (search index, sitemaps, copies,
whatever another plugin or an old build left) and re-reads each page file
to check it is still what was scanned.  A failure of the worker is a hit:
the scan fails closed.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from pathlib import Path

from .scanners import LeakHit, LeakScanner
from .scanners.leakscan import UNSCANNABLE, content_digest

_DONE = "\x00done"
# How long the build waits for the worker's answer after the last page.
RESULT_TIMEOUT_S = 3600


def _fail(reason: str) -> list[LeakHit]:
    return [LeakHit("(leak scan)", UNSCANNABLE, f"the leak scan did not complete: {reason}", "",
                    "SPEC §5")]


def _worker(make_scanner, scanner_args, pages: mp.Queue, results: mp.Queue) -> None:
    try:
        scanner: LeakScanner = make_scanner(*scanner_args)
        hits: list[LeakHit] = []
        scanned: dict[str, bytes] = {}
        while True:
            rel, payload = pages.get()
            if rel == _DONE:
                break
            data = payload.encode("utf-8")
            scanned[rel] = content_digest(data)
            hits.extend(scanner.scan_bytes(rel, data))
        hits.extend(scanner.scan_dir(Path(payload), already=scanned))
        results.put(sorted(hits, key=lambda h: h.path))
    except BaseException as exc:  # noqa: BLE001 - any failure must reach the build as a hit
        results.put(_fail(repr(exc)))


class LeakWatch:
    """Scan page HTML as it is produced; ``finish`` returns every hit in the output."""

    def __init__(self, make_scanner, *scanner_args):
        ctx = mp.get_context("spawn")  # no fork: `mkdocs serve` runs threads
        self._pages: mp.Queue = ctx.Queue()
        self._results: mp.Queue = ctx.Queue()
        self._proc = ctx.Process(target=_worker, daemon=True,
                                 args=(make_scanner, scanner_args, self._pages, self._results))
        self._proc.start()

    def page(self, rel: str, html: str) -> None:
        self._pages.put((rel, html))

    def finish(self, site_dir: Path) -> list[LeakHit]:
        self._pages.put((_DONE, str(site_dir)))
        try:
            hits = self._results.get(timeout=RESULT_TIMEOUT_S)
        except queue.Empty:
            hits = _fail("no answer from the scanning process")
        except (EOFError, OSError) as exc:
            hits = _fail(repr(exc))
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.kill()
        return hits

    def abandon(self) -> None:
        if self._proc.is_alive():
            self._proc.kill()
