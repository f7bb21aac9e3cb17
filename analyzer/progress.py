"""What a long ingest shows while it runs, on a terminal only (cron logs stay clean).

The ingest tells a `Progress` what it is doing (`file`, `scanned`, `reading`, `read`, `finish`);
the base class ignores it all. `TerminalProgress` keeps one line on stderr, redrawn in place four
times a second by a thread of its own:

    [2/5] /exports/big.jsonl: 412,000 records, 151 MB/s, ETA 3s

A file is read twice: once in Python for its hash and line check, once by DuckDB's reader. Its
progress is the bytes of both passes: the first counted as they are hashed, the second from
DuckDB's own progress of the statement that reads the file (`query_progress`, polled from the
thread). MB/s is the file's bytes over the time so far (both passes: the rate at which the file
gets done) and the ETA is for the reading; storing the rows follows, shown without one. Records
are the file's lines times the reader's progress while it reads (the scan counted the lines),
the exact count once read.
"""

from __future__ import annotations

import os
import sys
import threading
import time


class Progress:
    """What Ingest reports; this one shows nothing."""

    def file(self, done: int, total: int, path: str, size: int | None = None) -> None:
        """File `done + 1` of `total` begins (size in bytes, when known)."""

    def scanned(self, nbytes: int) -> None:
        """The hash pass went `nbytes` further into the file."""

    def reading(self, lines: int | None) -> None:
        """DuckDB's reader starts on the file (its line count, when the scan took one)."""

    def read(self, records: int) -> None:
        """The file's records are read; storing them follows."""

    def finish(self) -> None:
        """The run is over (or failed): leave the terminal as it was."""


class TerminalProgress(Progress):
    """One line on stderr, redrawn by a ticker thread and erased at the end."""

    INTERVAL = 0.25

    def __init__(self, stream=None, clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.clock = clock
        self.con = None  # set by attach(): the connection whose query progress is polled
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.current: dict | None = None

    def attach(self, con) -> None:
        """Poll this connection's query progress (DuckDB tracks it only with its progress bar on;
        the bar itself is never printed)."""
        con.execute("SET enable_progress_bar_print = false")
        con.execute("SET enable_progress_bar = true")
        self.con = con

    def file(self, done: int, total: int, path: str, size: int | None = None) -> None:
        with self.lock:
            self.current = {"done": done, "total": total, "path": path, "size": size, "began": self.clock(),
                            "scanned": 0, "reading": False, "lines": None, "records": None}
        if self.thread is None:
            self.thread = threading.Thread(target=self._tick, name="llm-spend-progress", daemon=True)
            self.thread.start()
        self.draw()

    def scanned(self, nbytes: int) -> None:
        with self.lock:
            if self.current:
                self.current["scanned"] += nbytes

    def reading(self, lines: int | None) -> None:
        with self.lock:
            if self.current:
                self.current.update(reading=True, lines=lines)

    def read(self, records: int) -> None:
        with self.lock:
            if self.current:
                self.current.update(reading=False, records=records)
        self.draw()

    def finish(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with self.lock:
            self.current = None
        self._write("")

    def _tick(self) -> None:
        while not self.stop.wait(self.INTERVAL):
            self.draw()

    def draw(self) -> None:
        with self.lock:
            state = dict(self.current) if self.current else None
        if state is None:
            return
        fraction = state.get("fraction")
        if state["reading"] and self.con is not None:
            try:
                percent = self.con.query_progress()
            except Exception:  # noqa: BLE001 - a progress line never stops the ingest
                percent = -1
            if percent >= 0:
                # Statements after the one that reads the file start again from 0: keep the most seen.
                with self.lock:
                    if self.current:
                        self.current["fraction"] = max(self.current.get("fraction", 0.0), min(percent, 100.0) / 100)
                        fraction = self.current["fraction"]
        self._write(line(state, fraction, self.clock(), self.width() - 1))

    def width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (OSError, ValueError):
            return 80

    def _write(self, text: str) -> None:
        try:
            self.stream.write("\r\x1b[K" + text[:self.width() - 1])
            self.stream.flush()
        except (OSError, ValueError):
            pass


def line(state: dict, fraction: float | None, now: float, width: int | None = None) -> str:
    """The progress line for one file's state (see the module text); `fraction` is the reader's
    progress while it reads, None when unknown. Within `width`, the path gives way (its start is
    cut), not the figures."""
    from analyzer.render import visible

    count, path = f"[{state['done'] + 1}/{state['total']}] ", visible(state["path"])
    detail = details(state, fraction, now)
    room = None if width is None else width - len(count) - len(detail) - (2 if detail else 0)
    if room is not None and len(path) > room:
        path = "..." + path[len(path) - max(room - 3, 0):] if room > 3 else ""
    return f"{count}{path}: {detail}" if detail else f"{count}{path}"


def details(state: dict, fraction: float | None, now: float) -> str:
    if state["records"] is not None:
        return f"{state['records']:,} records read, storing"
    size, elapsed = state["size"], max(now - state["began"], 1e-9)
    if not size:
        return ""
    done = min(state["scanned"], size) + (size * fraction if fraction is not None else 0)
    parts = []
    if state["reading"] and state["lines"] is not None and fraction is not None:
        parts.append(f"{int(state['lines'] * fraction):,} records")
    elif not state["reading"]:
        parts.append("hashing")
    else:
        parts.append("reading")
    rate = done / 2 / elapsed  # bytes of the file per second, both passes counted
    parts.append(f"{rate / 1e6:,.0f} MB/s")
    if done > 0 and (state["reading"] and fraction is not None or not state["reading"]):
        parts.append(f"ETA {duration((2 * size - done) / (done / elapsed))}")
    return ", ".join(parts)


def duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
