"""Extraction under a wall-clock limit, in a long-lived child process that is killed on overrun.

trafilatura and lxml have no timeout and can run for hours on a hostile page
(trafilatura#704). A signal alarm only works in the main thread and cannot interrupt C code;
a thread cannot be killed. A child process can, from any thread. It is started once and
reused, so a page costs a pickle round-trip, not a process start; after a kill the next
page starts a fresh child. The child is a plain `python -c` process (see `interpreter`).
In the daemon it belongs to the short-lived child that processes a cycle's pages
(`service.jobs`), so trafilatura is loaded only while there are pages to extract.
"""

from __future__ import annotations

import resource
import subprocess
import threading
import traceback
from multiprocessing.connection import Connection

from monitor import interpreter
from monitor.domain import ExtractedArticle, ExtractionError, RawPage, SourceHints

DEFAULT_TIME_LIMIT = 15.0  # seconds per page; normal pages take well under 0.1 s
STARTUP_LIMIT = 120.0  # importing trafilatura, dateparser and the language model
# Address-space cap of the child: a page that makes lxml/trafilatura balloon (trafilatura
# #657/#658) gets a MemoryError there, reported as too_large, instead of the OOM killer.
MEMORY_LIMIT_BYTES = 2 * 1024**3
_CHILD_MAIN = "import sys; from monitor.extract.worker import serve; serve(int(sys.argv[1]))"


class TimedExtractor:
    """Runs `article.extract_now` in a child process; one page at a time (thread-safe)."""

    def __init__(self, time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        self.time_limit = time_limit
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None

    def extract(self, page: RawPage, hints: SourceHints) -> ExtractedArticle:
        with self._lock:
            conn = self._connection()
            conn.send((page, hints))
            if not conn.poll(self.time_limit):
                self._stop()
                raise ExtractionError(
                    "timeout", f"extraction took longer than {self.time_limit:g} s: {page.url}"
                )
            try:
                outcome = conn.recv()
            except (EOFError, OSError):
                self._stop()
                raise ExtractionError("timeout", f"extraction process died on {page.url}") from None
        kind, *payload = outcome
        if kind == "ok":
            return payload[0]
        if kind == "error":
            raise ExtractionError(*payload)
        raise RuntimeError(f"extraction failed on {page.url}:\n{payload[0]}")

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _connection(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.poll() is None:
            return self._conn
        self._stop()
        process, conn = interpreter.start(_CHILD_MAIN)
        try:
            ready = conn.poll(STARTUP_LIMIT) and conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            process.kill()
            process.wait(5)
            conn.close()
            raise RuntimeError("the extraction process did not start (see its stderr)")
        self._process, self._conn = process, conn
        return conn

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None


def serve(fd: int) -> None:
    """Child process loop: (page, hints) in, ("ok", article) | ("error", reason, msg) out."""
    conn = Connection(fd)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    from monitor.extract.article import extract_now  # imported here: heavy, child-only
    from monitor.extract.dates import parse_date
    from monitor.extract.language import detect_language

    # load the language model and date locales before the first page's clock starts
    detect_language("warm up the language model before the first page is timed")
    parse_date("٥ كانون الثاني ٢٠٢٠")
    conn.send("ready")
    while True:
        try:
            page, hints = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", extract_now(page, hints)))
        except ExtractionError as exc:
            conn.send(("error", exc.reason, str(exc)))
        except MemoryError:
            conn.send(("error", "too_large", "out of memory while extracting"))
        except Exception:  # noqa: BLE001 - a bug or library failure: report it, keep serving
            conn.send(("bug", traceback.format_exc()))
