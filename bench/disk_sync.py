"""What this machine's disk does to a commit: the time of an 8 kB write + fdatasync, at fixed rates.

Every autosave is a PostgreSQL commit, and a commit waits for its WAL to reach the disk (one write and one
fdatasync of the WAL file). This writes the same way, beside nothing else, at each rate for a while, and prints the
sync's p50 / p99 / max and how many took 100 ms or more. Whether long syncs grow with the rate (a disk that throttles
its writes) or come at any rate (a disk shared with other machines) tells which remedy can help.

    .venv/bin/python bench/disk_sync.py --rates 50,330,1000 --seconds 45
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

BLOCK = b"\0" * 8192
FILE_SIZE = 64 * 1024 * 1024  # written round and round


def run_rate(path: Path, rate: float, seconds: float) -> dict:
    # A new file for each rate, zero-filled and synced before the clock starts, as PostgreSQL fills a WAL segment
    # before using it: a sync then writes data only, with no block allocation or extent change in the journal.
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = b"\0" * (1024 * 1024)
        for start in range(0, FILE_SIZE, len(chunk)):
            os.pwrite(fd, chunk, start)
        os.fsync(fd)
        offset, times, slow = 0, [], []
        began = next_at = time.monotonic()
        while time.monotonic() - began < seconds:
            if rate:
                next_at += 1 / rate
                if (delay := next_at - time.monotonic()) > 0:
                    time.sleep(delay)
            t0 = time.perf_counter()
            os.pwrite(fd, BLOCK, offset)
            os.fdatasync(fd)
            ms = (time.perf_counter() - t0) * 1000
            times.append(ms)
            if ms >= 100:
                slow.append([round(time.monotonic() - began, 1), round(ms, 1)])
            offset = (offset + len(BLOCK)) % FILE_SIZE
    finally:
        os.close(fd)
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p / 100 * len(times)))], 2)

    return {"rate_per_s": rate or "as fast as possible", "seconds": seconds, "syncs": len(times),
            "achieved_per_s": round(len(times) / seconds), "p50_ms": pct(50), "p99_ms": pct(99),
            "max_ms": round(times[-1], 1), "n_100ms": len(slow), "slow": slow[:20]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="50,330,1000", help="syncs per second, comma-separated; 0 = no limit")
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp"),
                        help="a folder on the file system that holds PostgreSQL's WAL (pg_wal)")
    args = parser.parse_args()
    path = args.dir / f"aigcert-disk-sync-{os.getpid()}"
    try:
        for rate in (float(r) for r in args.rates.split(",")):
            print(json.dumps(run_rate(path, rate, args.seconds)), flush=True)
    finally:
        path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
