"""Stall probe for the exam-day benchmark: what else stood still when the saves did.

When a group of saves is late together, the cause is something the web processes share. This process runs beside
the load and watches each shared thing on its own, so that the moment of a stall can be set beside the moment
each of them stood still:

- `timer`: a thread that sleeps 10 ms at a time. A wake-up 30 ms or more late means the machine did not run this
  process (the CPU was taken, or the whole VM was paused).
- `redis`: a PING to the run's Redis every 20 ms over one connection (every request reads its session there).
- `postgres`: a one-row durable commit every 100 ms in the maintenance database: a WAL fsync that stalls shows here.
- `pressure`: once a second, Linux's pressure-stall counters (/proc/pressure: ms in that second in which some task
  waited for the CPU, for I/O, for memory) and the steal time. The whole-second figures are always written.

The first three write an event for every round trip or wake-up of 30 ms or more. One JSON object per line goes to
the file given, flushed as it is written, until SIGTERM. Used by `bench/exam_day.py`; also runs alone:

    .venv/bin/python bench/stall_probe.py /tmp/stalls.jsonl --redis redis://127.0.0.1:6379/5
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

SLOW_MS = 30.0
CLK = os.sysconf("SC_CLK_TCK")


class Sink:
    """One JSON line per event, written at once: a probe killed mid-run keeps what it saw."""

    def __init__(self, path: Path):
        self.file = path.open("w", buffering=1)
        self.lock = threading.Lock()

    def write(self, kind: str, at: float, **fields) -> None:
        line = json.dumps({"kind": kind, "at": round(at, 3), **fields})
        with self.lock:
            self.file.write(line + "\n")


def timer_probe(sink: Sink, stop: threading.Event) -> None:
    step = 0.010
    while not stop.is_set():
        began = time.perf_counter()
        time.sleep(step)
        late_ms = (time.perf_counter() - began - step) * 1000
        if late_ms >= SLOW_MS:
            sink.write("timer", time.time(), ms=round(late_ms, 1))


def redis_probe(sink: Sink, stop: threading.Event, url: str) -> None:
    parts = urlparse(url)
    while not stop.is_set():
        try:
            with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=5) as conn, \
                    conn.makefile("rb") as replies:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                while not stop.is_set():
                    began = time.perf_counter()
                    try:
                        conn.sendall(b"PING\r\n")
                        reply = replies.readline()  # the whole line, however the bytes arrive
                    finally:  # a timeout is a stall too, with its length
                        ms = (time.perf_counter() - began) * 1000
                        if ms >= SLOW_MS:
                            sink.write("redis", time.time(), ms=round(ms, 1))
                    if reply != b"+PONG\r\n":
                        raise OSError(f"unexpected reply {reply[:40]!r}")
                    stop.wait(0.020)
        except OSError as error:
            sink.write("redis", time.time(), error=str(error))
            stop.wait(1.0)


def postgres_probe(sink: Sink, stop: threading.Event, dsn: str) -> None:
    import psycopg

    while not stop.is_set():
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS bench_stall_probe (id int PRIMARY KEY, at timestamptz)")
                while not stop.is_set():
                    began = time.perf_counter()
                    try:
                        # autocommit: this statement is its own transaction, and its commit waits for the WAL fsync
                        conn.execute("INSERT INTO bench_stall_probe VALUES (1, now()) "
                                     "ON CONFLICT (id) DO UPDATE SET at = excluded.at")
                    finally:
                        ms = (time.perf_counter() - began) * 1000
                        if ms >= SLOW_MS:
                            sink.write("postgres", time.time(), ms=round(ms, 1))
                    stop.wait(0.100)
                conn.execute("DROP TABLE IF EXISTS bench_stall_probe")
        except psycopg.Error as error:
            sink.write("postgres", time.time(), error=str(error).strip()[:200])
            stop.wait(1.0)


def _pressure() -> dict[str, int]:
    """Cumulative µs of stall per resource ("cpu some", "io full", …)."""
    out = {}
    for resource in ("cpu", "io", "memory"):
        try:
            lines = Path(f"/proc/pressure/{resource}").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            kind, *fields = line.split()
            out[f"{resource} {kind}"] = int(dict(f.split("=") for f in fields)["total"])
    return out


def cpu_ticks() -> list[int]:
    """The machine's CPU time in clock ticks (/proc/stat): user, nice, system, idle, iowait, irq, softirq, steal, …"""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def _steal_ms() -> float:
    return cpu_ticks()[7] * 1000 / CLK


def pressure_probe(sink: Sink, stop: threading.Event) -> None:
    last, last_steal = _pressure(), _steal_ms()
    while not stop.wait(1.0):
        now, steal = _pressure(), _steal_ms()
        sink.write("pressure", time.time(), steal_ms=round(steal - last_steal),
                   # only what both reads have: a resource that failed to read once must not show its whole total
                   **{name.replace(" ", "_") + "_ms": round((now[name] - last[name]) / 1000)
                      for name in now if name in last})
        last, last_steal = now, steal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--postgres", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    args = parser.parse_args()
    sink, stop = Sink(args.out), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=timer_probe, args=(sink, stop), daemon=True),
               threading.Thread(target=redis_probe, args=(sink, stop, args.redis), daemon=True),
               threading.Thread(target=postgres_probe, args=(sink, stop, args.postgres), daemon=True),
               threading.Thread(target=pressure_probe, args=(sink, stop), daemon=True)]
    for thread in threads:
        thread.start()
    sink.write("began", time.time())
    while not stop.wait(0.5):
        pass
    for thread in threads:
        thread.join(timeout=3)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
