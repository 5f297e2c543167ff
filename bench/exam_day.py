"""Benchmark: exam day under load (issue #6): check-in, the start minute, autosave every 30 s, submit or the
server's finalize, and a check that no confirmed answer was lost.

    .venv/bin/python bench/exam_day.py run --candidates 5000 --duration 5 --end submit
    .venv/bin/python bench/exam_day.py run --candidates 5000 --duration 5 --end expire --grace 5

One command does everything, on PostgreSQL (database `bench_examday`, rebuilt for every run from the template
`bench_examday_template`, which is migrated once and holds the catalog, the demo item bank and the demo blueprints)
and Redis DB 5 (sessions and cache, flushed for every run):

1. setup: a formal 通用级 session starting a little after the check-in phase, its papers frozen (the demo formal
   blueprint: 4 forms of 100 items), N candidates (bulk-created) with confirmed seats and unique ticket numbers.
   Logging in is not measured: each candidate's Django session is minted straight into Redis (what `login()`
   stores: user id, backend, session auth hash), and the client gets that session cookie.
2. a production-like server: granian (`aigcert.wsgi`, 2 workers × 4 threads; `--server gunicorn` for gunicorn's
   gthread workers), DEBUG off, Redis sessions, psycopg pool, and `aigcert finalize --every 2` beside it,
   started by this script and stopped at the end.
3. the load client (asyncio on uvloop, one task per candidate, HTTP/1.1 with `Connection: close`; it runs on the
   same machine as the server, so it keeps its own pauses out of the measurement: see `ClientGc`): each candidate
   opens the session page, checks in (the form, with its CSRF token), reads its unlock time from the status
   endpoint, waits (optionally polling the status as the waiting room does),
   POSTs the start at its unlock (start + the ticket's stagger), loads the player page and reads the items and
   options from it, then autosaves every 30 s ± 3 s (the first save at a random point of the first 30 s) with the
   1-3 items it changed since the last save, as `player.js` does with its queue (unconfirmed answers stay queued).
   `--end submit`: every candidate submits once in the same 60 s window before the earliest deadline, sending 1-3
   last changes. `--end expire`: nobody submits; saves stop before each deadline and the finalizer closes the
   attempts; the script polls the database until every attempt is closed.
4. the check: every answer the server confirmed to a client (autosave `saved` with the seq sent, or a submit that
   answered "submitted") must be in `delivery_response` with that value and seq. A row with a newer seq than the
   last confirmed one is counted as "newer unconfirmed" (a write whose reply was lost), not as lost.

Prints per-endpoint p50/p95/p99/max and errors, the CPU used by the server, PostgreSQL and the client during each
phase (and the disk's writes and PostgreSQL's WAL, the slowest saves, the client's own collector pauses and what
stood still while requests were slow: bench/stall_probe.py), and
writes everything to bench/results/exam_day-<N>-<end>-<time>.json. /tmp/bench-running exists while a
run is going (a PostgreSQL fault drill waits for it to go away).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import itertools
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from stall_probe import CLK, cpu_ticks
from stall_probe import SLOW_MS as STALL_MS  # bench/stall_probe.py: a wake-up or round trip this late is a stall

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV = ROOT / ".venv" / "bin"
DB = "bench_examday"
TEMPLATE = "bench_examday_template"
PG = "postgres://postgres@127.0.0.1:5432"
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"  # the maintenance database, for the script itself
REDIS_URL = "redis://127.0.0.1:6379/5"
DATA_DIR = Path("/tmp/aigcert-bench-examday")
SECRET_KEY = "bench-examday-only-" + "x" * 40  # shared by the server and the session minting of this script
RUNNING_FLAG = Path("/tmp/bench-running")
RESULTS = ROOT / "bench" / "results"
PROCESSES: list = []  # the server's processes while they run
PROGRAM = "aigc-general"
BACKEND = "aigcert.accounts.backends.PhoneOrEmailBackend"
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
WINDOW_MS = 200.0  # a request this slow belongs to a stall window (the autosave bar)


# ---- environment ------------------------------------------------------------------------------------------------

def base_env(args, *, database: str, pooled: bool) -> dict[str, str]:
    query = f"pool_min={args.pool_min}&pool_max={args.pool_max}&pool_timeout=30" if pooled else "pool=false"
    return {
        "DJANGO_SETTINGS_MODULE": "aigcert.settings",
        "DATABASE_URL": f"{PG}/{database}?{query}",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": SECRET_KEY,
        "AIGCERT_DATA_DIR": str(DATA_DIR),
        "DEBUG": "0",
        "EXAM_SAVE_GRACE_SECONDS": str(args.grace),
        "LOG_LEVEL": args.log_level,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def template_mark() -> str:
    """What a finished build writes on the template: "ready" and the migrations it has, so a new one rebuilds it."""
    names = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "aigcert").glob("*/migrations/0*.py"))
    return "ready " + hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def template_ready() -> bool:
    """The template exists, its build finished (the build marks it as its last step) and it has every migration."""
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (TEMPLATE,)).fetchone()
    return row is not None and row[0] == template_mark()


def template_build() -> None:
    """Runs in a subprocess against the template database: migrate, catalog, demo bank, demo blueprints."""
    import io

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from aigcert.accounts import api as accounts
    from aigcert.accounts.models import RoleGrant, User
    from aigcert.exams import api as exams
    from aigcert.itembank import api as itembank

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_catalog", str(settings.CATALOG_FILE), stdout=io.StringIO())

    def staff(role: str) -> User:
        user = User.objects.create(email=f"bench-{role}@example.test", password="!bench")
        RoleGrant.objects.create(user=user, role=role)
        return user

    itembank.demo_bank_load(author=staff(accounts.Role.ITEM_AUTHOR), reviewer=staff(accounts.Role.ITEM_REVIEWER))
    exams.demo_blueprints_load(actor=staff(accounts.Role.EXAM_ADMIN))
    call_command("collectstatic", interactive=False, verbosity=0)
    print("template ready", flush=True)


# ---- setup of one run -------------------------------------------------------------------------------------------

def populate(n: int, *, start_at, duration: int, checkin_in_setup: bool, stagger: int | None = None) -> dict:
    """The session, its papers, N candidates with confirmed seats, and their sessions minted into Redis.

    With check-in in the setup, the session is made to start 25 minutes from now (check-in is open), everyone
    checks in, and then the session is moved to `start_at` — a callable giving the start from the time the setup
    has finished — and the desk's times are recomputed with `examday.desk_update` (what changing the desk does:
    the check-ins that have not started take the new times)."""
    from django.apps import apps
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cache import SessionStore
    from django.core.cache import cache
    from django.db import transaction

    from aigcert.accounts.models import RoleGrant, User
    from aigcert.exams import api as exams
    from aigcert.exams.models import PaperBatch

    cache.clear()  # Redis DB 5: sessions and cache of the previous run
    session_model = apps.get_model("exams", "Session")
    admin = User.objects.get(email="bench-exam_admin@example.test")
    final_start = start_at
    if checkin_in_setup:
        from aigcert.core.api import now

        start_at = now().replace(microsecond=0) + timedelta(minutes=25)
    else:
        start_at = final_start()
    session = session_model.objects.create(
        program_code=PROGRAM, sitting_code="bench", sitting_label_zh="压测场", sitting_label_en="Load test",
        start_at=start_at, duration_minutes=duration, capacity=n,
        booking_opens_at=start_at - timedelta(days=30), booking_closes_at=start_at - timedelta(days=3))
    exams.session_papers_prepare(session_code=str(session.code), actor=admin)  # TASKS_BACKEND immediate: inline
    batch = PaperBatch.objects.filter(session=session).first()
    assert batch is not None and batch.status == PaperBatch.Status.DONE, (batch and batch.status, batch and batch.error)
    assert exams.session_papers(str(session.code)), "no papers"

    from aigcert.delivery import examday

    desk, _data = examday.desk_get(str(session.code))
    spread = desk.stagger_seconds if stagger is None else stagger  # the proctor page's "unlock spread"
    if stagger is not None:
        examday.desk_update(session_code=str(session.code), actor=admin, approval_required=False,
                            stagger_seconds=spread, latest_entry_minutes=15, proctor_ids=[],
                            reason="load test: unlock spread")
    enrolment_model = apps.get_model("enrolment", "Enrolment")
    booking_model = apps.get_model("enrolment", "Booking")
    tag = secrets.token_hex(3)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"cand{i}-{tag}@example.test", password="!" + secrets.token_hex(16),
                  display_name=f"考生{i}") for i in range(n)], batch_size=2000)
        RoleGrant.objects.bulk_create([RoleGrant(user=u, role="candidate") for u in users], batch_size=2000)
        enrolments = enrolment_model.objects.bulk_create(
            [enrolment_model(candidate=u, program_code=PROGRAM, state="booked") for u in users], batch_size=2000)
        booking_model.objects.bulk_create(
            [booking_model(enrolment=e, session=session, status="confirmed", ticket_number=f"B{tag}{i:07d}")
             for i, e in enumerate(enrolments)], batch_size=2000)
    if checkin_in_setup:
        for user in users:
            examday.checkin_confirm(candidate=user, session_code=str(session.code), confirmed=True, ip="127.0.0.1",
                                    agent="aigcert-bench/1.0 (exam_day.py)")
        start_at = final_start()
        session_model.objects.filter(pk=session.pk).update(
            start_at=start_at, booking_opens_at=start_at - timedelta(days=30),
            booking_closes_at=start_at - timedelta(days=3))
        examday.desk_update(session_code=str(session.code), actor=admin, approval_required=False,
                            stagger_seconds=spread, latest_entry_minutes=15, proctor_ids=[],
                            reason="load test: the session moved to its benchmark start")
    clients = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = BACKEND
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        clients.append({"user": user.pk, "sessionid": store.session_key})
    return {"session": str(session.code), "session_pk": session.pk, "clients": clients, "start_at": start_at}


# ---- server processes -------------------------------------------------------------------------------------------

def server_start(args, env: dict[str, str], log_dir: Path) -> list[subprocess.Popen]:
    full = {**os.environ, **env}
    if args.server == "granian":
        command = [str(VENV / "granian"), "--interface", "wsgi", "aigcert.wsgi:application", "--host", "127.0.0.1",
                   "--port", str(args.port), "--workers", str(args.workers), "--blocking-threads", str(args.threads),
                   "--backlog", "4096", "--respawn-failed-workers", "--no-ws", "--log-level", "warning"]
        if args.access_log:  # the server's own time per request (in its thread, not counting its queue)
            command += ["--access-log", "--access-log-fmt", "%(time)s %(method)s %(path)s %(status)d %(dt_ms).1f"]
    else:
        command = [str(VENV / "gunicorn"), "aigcert.wsgi", "--bind", f"127.0.0.1:{args.port}", "--workers",
                   str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread", "--backlog", "4096",
                   "--worker-connections", "4000", "--timeout", "120", "--keep-alive", "2"]
    web = subprocess.Popen(command, cwd=ROOT, env=full, stdout=open(log_dir / "server.log", "w"),  # noqa: SIM115
                           stderr=subprocess.STDOUT)
    finalizer = subprocess.Popen([str(VENV / "aigcert"), "finalize", "--every", "2"], cwd=ROOT, env=full,
                                 stdout=open(log_dir / "finalize.log", "w"),  # noqa: SIM115
                                 stderr=subprocess.STDOUT)
    processes = [web, finalizer]
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise SystemExit(f"server did not start; see {log_dir}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return processes
        except OSError:
            time.sleep(0.3)
    raise SystemExit("server did not answer /healthz within 60 s")


def server_stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# ---- CPU accounting ---------------------------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _disk_counters() -> dict[str, int]:
    """Writes completed and milliseconds spent writing, summed over the machine's whole disks (/proc/diskstats)."""
    writes = write_ms = 0
    for line in Path("/proc/diskstats").read_text().splitlines():
        fields = line.split()
        if Path(f"/sys/block/{fields[2]}/device").exists():  # a disk, not a partition, loop or device-mapper
            writes, write_ms = writes + int(fields[7]), write_ms + int(fields[10])
    return {"writes": writes, "write_ms": write_ms}


def _per(a: dict, b: dict, amount: str, count: str) -> float:
    """Between two counter samples: how much of `amount` per `count` (ms per write, ms per sync)."""
    return (b[amount] - a[amount]) / max(1, b[count] - a[count])


def _worst_per(samples: list[tuple[float, dict]], amount: str, count: str) -> float:
    """The highest `_per` over consecutive samples (a second apart): the worst second."""
    return max((_per(a, b, amount, count) for (_ta, a), (_tb, b) in itertools.pairwise(samples)), default=0.0)


class CpuSampler(threading.Thread):
    """Cumulative CPU seconds of the web workers, PostgreSQL, the finalizer and this client, once a second; dead
    processes keep the last value seen (PostgreSQL backends come and go)."""

    def __init__(self, web_pid: int, finalizer_pid: int):
        super().__init__(daemon=True)
        self.web_pid, self.finalizer_pid = web_pid, finalizer_pid
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.stop_flag = threading.Event()
        self.seen: dict[str, dict[int, float]] = defaultdict(dict)
        self.worker_numbers: dict[int, int] = {}  # web worker pid → its number in the result
        # The disk and PostgreSQL's WAL, once a second too: every autosave is a commit, and a commit waits for its
        # WAL to reach the disk, so a disk that stalls stalls every request at once.
        self.io_samples: list[tuple[float, dict[str, int]]] = []
        self._wal = None

    def snapshot(self) -> dict[str, float]:
        groups = {"web": [self.web_pid, *_children(self.web_pid)], "postgres": _postgres_pids(),
                  "finalizer": [self.finalizer_pid], "client": [os.getpid()]}
        totals = {}
        for name, pids in groups.items():
            for pid in pids:
                value = _proc_cpu(pid)
                if value:
                    self.seen[name][pid] = value
            totals[name] = sum(self.seen[name].values())
        # Each web worker alone too: a worker runs Python under one GIL, so one worker at a whole core queues its
        # requests even while the machine has a core to spare.
        # Numbered in the order first seen, so that a respawned worker is a new number, not another's.
        for pid in _children(self.web_pid):
            number = self.worker_numbers.setdefault(pid, len(self.worker_numbers) + 1)
            if value := _proc_cpu(pid):
                self.seen[f"web worker {number}"][pid] = value
        for number in self.worker_numbers.values():
            totals[f"web worker {number}"] = sum(self.seen[f"web worker {number}"].values())
        cpu = cpu_ticks()
        totals["whole machine"] = (sum(cpu) - cpu[3] - cpu[4] - cpu[7]) / CLK  # all but idle, iowait and steal
        # Time the hypervisor gave to other guests while this one wanted to run: on a shared VM it is the noise
        # between runs, so it is recorded beside the rest.
        totals["steal"] = cpu[7] / CLK
        return totals

    def io_snapshot(self) -> dict[str, int]:
        import psycopg

        counters = _disk_counters()
        try:
            if self._wal is None:
                # Short timeouts: a PostgreSQL that hangs must not stop this thread's CPU samples as well.
                self._wal = psycopg.connect(ADMIN_DSN, connect_timeout=2, autocommit=True,
                                            options="-c statement_timeout=2000")
            row = self._wal.execute("SELECT wal_bytes, wal_fpi, wal_sync, wal_sync_time FROM pg_stat_wal").fetchone()
            counters["wal_bytes"], counters["wal_fpi"], counters["wal_sync"] = (int(v) for v in row[:3])
            counters["wal_sync_ms"] = float(row[3])  # counted by the run's sessions (track_wal_io_timing below)
        except psycopg.Error:  # PostgreSQL away for a moment: the disk counters still count
            if self._wal is not None:
                self._wal.close()
            self._wal = None
        return counters

    def io(self, t0: float, t1: float) -> dict[str, float]:
        """Per second between two wall-clock times: disk writes, WAL bytes, full-page images and WAL syncs; the
        average time of a disk write, and that average in the worst one-second interval."""
        inside = [s for s in self.io_samples if t0 <= s[0] <= t1]
        if len(inside) < 2:
            return {}
        (a_t, a), (b_t, b) = inside[0], inside[-1]
        span = b_t - a_t
        out = {"disk_writes_per_s": round((b["writes"] - a["writes"]) / span),
               "disk_write_ms_avg": round(_per(a, b, "write_ms", "writes"), 2),
               "disk_write_ms_avg_worst_second": round(_worst_per(inside, "write_ms", "writes"), 1)}
        wal = [s for s in inside if "wal_bytes" in s[1]]  # seconds when PostgreSQL answered
        if len(wal) >= 2:
            (a_t, a), (b_t, b) = wal[0], wal[-1]
            span = b_t - a_t
            out |= {"wal_kb_per_s": round((b["wal_bytes"] - a["wal_bytes"]) / span / 1024),
                    "wal_full_page_images_per_s": round((b["wal_fpi"] - a["wal_fpi"]) / span),
                    "wal_syncs_per_s": round((b["wal_sync"] - a["wal_sync"]) / span),
                    # A commit waits for its WAL sync: the average sync, and that average in the worst second.
                    "wal_sync_ms_avg": round(_per(a, b, "wal_sync_ms", "wal_sync"), 2),
                    "wal_sync_ms_avg_worst_second": round(_worst_per(wal, "wal_sync_ms", "wal_sync"), 1)}
        return out

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.samples.append((time.time(), self.snapshot()))
            self.io_samples.append((time.time(), self.io_snapshot()))
            self.stop_flag.wait(1.0)

    def usage(self, t0: float, t1: float) -> dict[str, float]:
        """Average cores used by each group between two wall-clock times."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if len(inside) < 2:
            return {}
        (a_t, a), (b_t, b) = inside[0], inside[-1]
        return {k: round((b[k] - a[k]) / (b_t - a_t), 2) for k in b if k in a}


# ---- HTTP client ------------------------------------------------------------------------------------------------

class ClientGc:
    """The load client's own garbage-collector pauses, kept out of the server's latency.

    The client holds every candidate's items, the values it sent and every latency: at 10,000 candidates over two
    million objects, and one full collection of them stops the event loop for about half a second (0.47 s for a
    synthetic copy of that heap), which every request in flight would then count as server latency. With `frozen`
    (the default) what the setup made is frozen and the full collections (generation 2) are off for the load; the
    young generations are still collected. `on` is Python's default. Every pause is recorded either way.
    """

    def __init__(self, mode: str):
        self.mode = mode
        # generation → [(wall clock, ms of wall time, ms of this thread's CPU)]: wall time includes any moment the
        # client was not scheduled, CPU time is the collector's own work.
        self.pauses: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
        self._began = self._began_cpu = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began, self._began_cpu = time.perf_counter(), time.thread_time()
        else:
            self.pauses[info["generation"]].append((time.time(), (time.perf_counter() - self._began) * 1000,
                                                    (time.thread_time() - self._began_cpu) * 1000))

    def __enter__(self) -> ClientGc:
        if self.mode == "frozen":
            gc.collect()
            gc.freeze()
            self._thresholds = gc.get_threshold()
            gc.set_threshold(self._thresholds[0], self._thresholds[1], 10**9)
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)
        if self.mode == "frozen":
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()

    def summary(self, origin: float) -> dict:
        """Per generation: collections, total and longest pause (wall time, and the longest in CPU time); and every
        pause of 50 ms or more of wall time as [s from origin, wall ms, CPU ms]."""
        out: dict = {"mode": self.mode}
        for generation, pauses in sorted(self.pauses.items()):
            out[f"generation {generation}"] = {
                "n": len(pauses), "total_ms": round(sum(ms for _at, ms, _cpu in pauses), 1),
                "max_ms": round(max(ms for _at, ms, _cpu in pauses), 1),
                "max_cpu_ms": round(max(cpu for _at, _ms, cpu in pauses), 1),
                "over_50ms": [[round(at - origin, 1), round(ms, 1), round(cpu, 1)]
                              for at, ms, cpu in pauses if ms >= 50]}
        return out


class Stats:
    def __init__(self):
        self.latency: dict[str, list[tuple[float, float]]] = defaultdict(list)  # endpoint → (wall time, ms)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.events: dict[str, list[float]] = defaultdict(list)
        self.loop_lag: list[tuple[float, float]] = []  # (wall time, ms): the client's event loop woke up late

    def summary(self, endpoint: str, t0: float = 0, t1: float = float("inf")) -> dict:
        values = sorted(ms for at, ms in self.latency.get(endpoint, []) if t0 <= at <= t1)
        if not values:
            return {"n": 0}

        def pct(p):
            return round(values[min(len(values) - 1, int(p / 100 * len(values)))], 1)

        return {"n": len(values), "p50": pct(50), "p95": pct(95), "p99": pct(99), "max": round(values[-1], 1),
                "errors": dict(self.errors.get(endpoint, {})) if t1 == float("inf") else None}


class HttpError(Exception):
    pass


def _dechunk(body: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


async def http(port: int, method: str, path: str, *, cookies: dict[str, str], headers: dict[str, str] | None = None,
               body: bytes = b"", timeout: float = 60.0) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection (Connection: close); Set-Cookie values go into `cookies`."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             "User-Agent: aigcert-bench/1.0 (exam_day.py)"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")

    async def exchange():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            await writer.drain()
            return await reader.read(-1)
        finally:
            writer.close()

    raw = await asyncio.wait_for(exchange(), timeout)
    head, _sep, payload = raw.partition(b"\r\n\r\n")
    if not head:
        raise HttpError("empty reply")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split(" ", 2)[1])
    response_headers: dict[str, str] = {}
    for line in head_lines[1:]:
        key, _c, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "set-cookie":
            name, _e, rest = value.partition("=")
            cookie_value = rest.split(";", 1)[0]
            if "max-age=0" in value.lower() or 'expires=thu, 01 jan 1970' in value.lower():
                cookies.pop(name, None)
            else:
                cookies[name] = cookie_value
        response_headers[key] = value
    if response_headers.get("transfer-encoding", "").lower() == "chunked":
        payload = _dechunk(payload)
    return status, response_headers, payload


CONFIG_RE = re.compile(rb'<script id="exam-config" type="application/json">(.*?)</script>', re.S)
SECTION_RE = re.compile(rb'data-slot="([^"]+)" data-type="([^"]+)"')
OPTION_RE = re.compile(rb'name="r-([^"]+)" value="([^"]*)"')
DAY_CONFIG_RE = re.compile(rb'<script id="exam-day-config" type="application/json">(.*?)</script>', re.S)
CSRF_FIELD_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
SEALED_RE = re.compile(rb'<script id="sealed-items-data" type="application/octet-stream">([^<]*)</script>')
SEALED_CONFIG_RE = re.compile(rb'<script id="sealed-player-config" type="application/json">(.*?)</script>', re.S)


def unseal(blob: bytes, key: str) -> bytes:
    """What exam_day.js does with WebCrypto: AES-GCM, the nonce first, the tag last."""
    raw = base64.b64decode(blob)
    return AESGCM(base64.b64decode(key)).decrypt(raw[:12], raw[12:], None)


def player_items(page: bytes) -> dict[str, tuple[str, list[str]]]:
    """slot → (type, option values) as the player page renders them."""
    items = {slot.decode(): (kind.decode(), []) for slot, kind in SECTION_RE.findall(page)}
    for slot, value in OPTION_RE.findall(page):
        items[slot.decode()][1].append(value.decode())
    return {slot: item for slot, item in items.items() if item[0] in {"single_choice", "multiple_choice",
                                                                      "true_false"}}


def random_value(kind: str, options: list[str], rng: random.Random):
    if kind == "true_false":
        return rng.random() < 0.5
    if kind == "single_choice":
        return rng.choice(options)
    chosen = rng.sample(options, rng.randint(1, len(options)))
    return sorted(chosen)


# ---- one candidate ----------------------------------------------------------------------------------------------

class Candidate:
    def __init__(self, index: int, info: dict, plan: dict, stats: Stats, rng: random.Random):
        self.index, self.info, self.plan, self.stats, self.rng = index, info, plan, stats, rng
        self.cookies = {"sessionid": info["sessionid"]}
        self.pending: dict[str, dict] = {}
        self.confirmed: dict[str, tuple] = {}   # slot → (value, seq) the server confirmed
        self.attempted: dict[str, list] = defaultdict(list)  # slot → [(value, seq)] ever sent
        self.attempt = ""
        self.seq = 0
        self.offset_ms = 0.0
        self.submitted = False
        self.failed = ""

    async def call(self, endpoint: str, method: str, path: str, *, ok=(200,), timeout: float = 30.0, **kw):
        started = time.time()
        left = self.plan["cutoff"] - started
        if left <= 1:
            self.stats.errors[endpoint]["not sent: past the run's cutoff"] += 1
            return None, {}, b""
        try:
            status, headers, body = await http(self.plan["port"], method, path, cookies=self.cookies,
                                               timeout=min(timeout, left), **kw)
        except (OSError, TimeoutError, HttpError, ValueError, IndexError) as exc:
            self.stats.errors[endpoint][type(exc).__name__] += 1
            self.stats.latency[endpoint + " (failed)"].append((started, (time.time() - started) * 1000))
            return None, {}, b""
        elapsed = (time.time() - started) * 1000
        if status in ok:
            self.stats.latency[endpoint].append((started, elapsed))
        else:
            self.stats.errors[endpoint][f"HTTP {status}"] += 1
            self.stats.latency[endpoint + " (failed)"].append((started, elapsed))
        return status, headers, body

    def server_ms(self) -> float:
        return time.time() * 1000 + self.offset_ms

    def next_seq(self) -> int:
        self.seq = max(self.seq + 1, int(self.server_ms()))
        return self.seq

    async def sleep_until(self, wall: float) -> None:
        delay = wall - time.time()
        if delay > 0:
            await asyncio.sleep(delay)

    def change(self, items, count: int) -> None:
        for slot in self.rng.sample(sorted(items), count):
            kind, options = items[slot]
            value = random_value(kind, options, self.rng)
            entry = {"slot": slot, "value": value, "flagged": False, "seq": self.next_seq()}
            self.pending[slot] = entry
            self.attempted[slot].append((value, entry["seq"]))

    async def run(self) -> None:
        try:
            await self._run()
        except Exception as exc:  # a harness bug must show up as a failed client, not stop the run
            self.failed = f"{type(exc).__name__}: {exc}"
            self.stats.errors["client"][self.failed[:80]] += 1

    async def _run(self) -> None:
        plan, session = self.plan, self.plan["session"]
        page_url = f"/exam/session/{session}/"
        await self.sleep_until(plan["checkin_at"][self.index])
        if plan["checkin"] == "http":
            status, _h, page = await self.call("check-in page", "GET", page_url)
            if status != 200:
                self.failed = "check-in page"
                return
            token = CSRF_FIELD_RE.search(page)
            form = f"confirm=yes&csrfmiddlewaretoken={quote(token.group(1).decode())}".encode()
            status, _h, _b = await self.call("check-in POST", "POST", page_url, ok=(302,), body=form,
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
            if status != 302:
                self.failed = "check-in"
                return
        # The waiting room (after the check-in's redirect, or opened by a candidate the setup checked in): it has
        # the unlock time and the candidate's paper, sealed.
        status, _h, page = await self.call("waiting room GET", "GET", page_url)
        if status != 200:
            self.failed = "waiting room"
            return
        # What the start needs is read from the room now, in the quiet check-in phase: the client's work in the
        # unlock minute competes with the server for the CPU.
        blob, sealed_config = SEALED_RE.search(page), SEALED_CONFIG_RE.search(page)
        room = {"day": json.loads(DAY_CONFIG_RE.search(page).group(1)),
                "blob": blob.group(1) if blob else None,
                "player": json.loads(sealed_config.group(1)) if sealed_config else None}
        del page
        await self.wait_and_start(room)

    async def wait_and_start(self, room: dict) -> None:
        plan, session = self.plan, self.plan["session"]
        page_url = f"/exam/session/{session}/"
        data = room["day"]
        self.offset_ms = data["serverNow"] - time.time() * 1000
        unlock_wall = (data["unlockAt"] - self.offset_ms) / 1000
        # The waiting room: the page polls the status every 8-12 s until its countdown reaches the unlock.
        if plan["poll"]:
            next_poll = time.time() + self.rng.uniform(3, 7)
            while next_poll < unlock_wall:
                await self.sleep_until(next_poll)
                await self.call("status poll", "GET", f"{page_url}status/", headers={"Accept": "application/json"})
                next_poll += self.rng.uniform(8, 12)
        await self.sleep_until(unlock_wall + self.rng.uniform(0, 0.5))  # the countdown ticks every 500 ms
        csrf = self.cookies.get("csrftoken", "")
        # A browser waits for its start (no timeout of its own; 120 s here) and tries again after a failure.
        for _try in range(3):
            status, _h, body = await self.call("start POST", "POST", f"{page_url}start/", timeout=120,
                                               headers={"Accept": "application/json", "X-CSRFToken": csrf})
            if status == 200 or time.time() > self.plan["cutoff"]:
                break
            await asyncio.sleep(5)
        if status != 200:
            self.failed = "start"
            return
        started = json.loads(body)
        self.attempt = started["attempt"]
        self.stats.events["started"].append(time.time())
        if room["blob"] and "key" in started:
            # The waiting room turns into the player: no request at all.
            page = unseal(room["blob"], started["key"])
            config = {**room["player"], **started["player"]}
            self.stats.events["unsealed"].append(time.time())
        else:
            for _try in range(3):
                status, _h, page = await self.call("player page GET", "GET", started["url"], timeout=120)
                if status in (200, 302) or time.time() > self.plan["cutoff"]:
                    break
                await asyncio.sleep(5)
            if status != 200:
                self.failed = "player page"
                return
            config = json.loads(CONFIG_RE.search(page).group(1))
        self.stats.events["page loaded"].append(time.time())
        items = player_items(page)
        self.offset_ms = config["serverNow"] - time.time() * 1000
        self.seq = config["seqBase"]
        device, deadline_wall = config["device"], (config["deadline"] - self.offset_ms) / 1000
        csrf = self.cookies.get("csrftoken") or config["csrf"]
        headers = {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"}
        submit_at = plan["submit_at"][self.index] if plan["end"] == "submit" else None
        stop_at = submit_at if submit_at else deadline_wall - plan["save_margin"]
        next_save = time.time() + self.rng.uniform(0, plan["interval"])
        while next_save < stop_at:
            await self.sleep_until(next_save)
            self.change(items, self.rng.randint(1, 3))
            batch = list(self.pending.values())
            body = json.dumps({"device": device, "responses": batch}).encode()
            status, _h, reply = await self.call("autosave", "POST", config["saveUrl"], body=body, headers=headers)
            if status == 200:
                data = json.loads(reply)
                for sent in batch:
                    if data["saved"].get(sent["slot"]) == sent["seq"]:
                        self.confirmed[sent["slot"]] = (sent["value"], sent["seq"])
                    answered = sent["slot"] in data["saved"] or sent["slot"] in data["stale"]
                    if answered and self.pending.get(sent["slot"], {}).get("seq") == sent["seq"]:
                        del self.pending[sent["slot"]]
                    if sent["slot"] in data["stale"]:
                        self.stats.errors["autosave"]["stale"] += 1
                if "serverNow" in data:
                    self.offset_ms = data["serverNow"] - time.time() * 1000
            next_save += plan["interval"] + self.rng.uniform(-plan["jitter"], plan["jitter"])
        if submit_at is None:
            return
        await self.sleep_until(submit_at)
        self.change(items, self.rng.randint(1, 3))
        batch = list(self.pending.values())
        body = json.dumps({"key": str(uuid.uuid4()), "device": device, "responses": batch}).encode()
        status, _h, reply = await self.call("submit", "POST", config["submitUrl"], body=body, headers=headers)
        if status == 200 and json.loads(reply).get("state") == "submitted":
            self.submitted = True
            for sent in batch:
                self.confirmed[sent["slot"]] = (sent["value"], sent["seq"])
            self.pending.clear()
            self.stats.events["submitted"].append(time.time())


async def loop_lag_watch(lags: list[tuple[float, float]], done: asyncio.Event) -> None:
    """Every wake-up of the client's own event loop that came 30 ms or more late: while the loop stands still, every
    request in flight is measured as slow although the server may have answered in time."""
    step = 0.010
    while not done.is_set():
        began = time.perf_counter()
        await asyncio.sleep(step)
        late_ms = (time.perf_counter() - began - step) * 1000
        if late_ms >= STALL_MS:
            lags.append((time.time(), late_ms))


async def load(clients: list[dict], plan: dict, stats: Stats, seed: int) -> list[Candidate]:
    candidates = [Candidate(i, info, plan, stats, random.Random(seed * 100003 + i)) for i, info in enumerate(clients)]
    done = asyncio.Event()
    watch = asyncio.create_task(loop_lag_watch(stats.loop_lag, done))
    await asyncio.gather(*(c.run() for c in candidates))
    done.set()
    await watch
    return candidates


# ---- checks -----------------------------------------------------------------------------------------------------

def answers_check(candidates: list[Candidate]) -> dict:
    from aigcert.delivery.models import Attempt, Response

    by_code = {str(code): pk for code, pk in Attempt.objects.filter(
        code__in=[c.attempt for c in candidates if c.attempt]).values_list("code", "pk")}
    stored: dict[int, dict[str, tuple]] = defaultdict(dict)
    for attempt_id, slot, value, seq in Response.objects.filter(attempt_id__in=by_code.values()).values_list(
            "attempt_id", "slot", "value", "seq").iterator(chunk_size=20000):
        stored[attempt_id][slot] = (value, seq)
    result = Counter()
    examples = []
    for c in candidates:
        if not c.attempt:
            result["clients without an attempt"] += 1
            continue
        rows = stored.get(by_code.get(c.attempt), {})
        for slot, (value, seq) in c.confirmed.items():
            result["confirmed answers"] += 1
            row = rows.get(slot)
            if row is not None and row[1] == seq and row[0] == value:
                result["found as confirmed"] += 1
            elif row is not None and row[1] > seq and (row[0], row[1]) in [tuple(a) for a in c.attempted[slot]]:
                result["newer unconfirmed write stored"] += 1
            else:
                result["LOST"] += 1
                if len(examples) < 5:
                    examples.append({"attempt": c.attempt, "slot": slot, "confirmed": [value, seq],
                                     "stored": list(row) if row else None})
        for slot in rows:
            if slot not in c.attempted:
                result["rows the client never sent"] += 1
    return {**result, "lost_examples": examples}


def finalize_check(session_code: str, grace: int, timeout: float) -> dict:
    """Poll until no attempt of the session is open; then the spread of closed_at - deadline from the rows."""
    from aigcert.delivery.models import Attempt

    attempts = Attempt.objects.filter(session_code=session_code)
    last_deadline = max(attempts.values_list("deadline_at", flat=True))
    end = time.time() + timeout
    while attempts.filter(state="open").exists() and time.time() < end:
        time.sleep(0.5)
    still_open = attempts.filter(state="open").count()
    rows = list(attempts.exclude(state="open").values_list("deadline_at", "closed_at", "state", "closed_by_server"))
    lag = sorted((closed - deadline).total_seconds() for deadline, closed, _s, by_server in rows if by_server)
    all_closed = max((closed for _d, closed, _s, _b in rows), default=None)

    def pct(p):
        return round(lag[min(len(lag) - 1, int(p / 100 * len(lag)))], 2) if lag else None

    return {"still_open": still_open, "states": dict(Counter(s for _d, _c, s, _b in rows)),
            "closed_by_server": len(lag), "grace_s": grace,
            "close_after_deadline_s": {"p50": pct(50), "p99": pct(99), "max": pct(100) if lag else None,
                                       "min": round(lag[0], 2) if lag else None},
            "all_closed_after_last_deadline_s": round((all_closed - last_deadline).total_seconds(), 2)
            if all_closed else None}


# ---- the run ----------------------------------------------------------------------------------------------------

def stall_report(path: Path, origin: float, stats: Stats) -> dict:
    """What stood still during the load, and when (seconds from the session start; the watchers start after the
    setup, so negative times are the check-in phase).

    Per watcher (bench/stall_probe.py's timer, Redis and PostgreSQL probes, and the client's own event loop): how
    many stalls of 30, 100 and 500 ms or more, and the ten worst. The worst seconds of Linux's pressure-stall
    counters and of steal time. Then the five worst *windows*: the requests of the load that took `WINDOW_MS` or
    more, of any endpoint and failed ones too, merged where they overlap in time (with how many of each), each with
    every watcher's stall and every pressure second that overlaps it. A window in which the timer stood still too
    was the machine's; one in which only the requests waited was the server's. The client's own collector pauses
    are in `client.gc` (a pause shows here as a stall of the client's loop).
    """
    # watcher → (end wall time, ms); every watcher listed, so that "no stall" shows as zero
    stalls: dict[str, list[tuple[float, float]]] = {"timer": [], "redis": [], "postgres": []}
    pressure: list[dict] = []
    errors: Counter = Counter()
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            event = json.loads(line)
        except ValueError:  # a line cut short when the probe stopped
            continue
        if event["kind"] == "pressure":
            pressure.append(event)
        elif "error" in event:
            errors[event["kind"]] += 1
        elif "ms" in event:
            stalls.setdefault(event["kind"], []).append((event["at"], event["ms"]))
    stalls["client loop"] = list(stats.loop_lag)

    def rel(at: float) -> float:
        return round(at - origin, 2)

    out: dict = {"watchers": {}, "probe_errors": dict(errors)}
    for watcher, found in sorted(stalls.items()):
        out["watchers"][watcher] = {
            "n_30ms": len(found), "n_100ms": sum(ms >= 100 for _at, ms in found),
            "n_500ms": sum(ms >= 500 for _at, ms in found),
            "worst": [[rel(at), round(ms, 1)] for at, ms in sorted(found, key=lambda e: -e[1])[:10]]}
    metrics = sorted({key for second in pressure for key in second if key.endswith("_ms")})
    out["pressure_worst_seconds"] = {  # [s from the start at the second's end, ms stalled in that second]
        metric: [[rel(second["at"]), second[metric]]
                 for second in sorted(pressure, key=lambda e: -e.get(metric, 0))[:5] if second.get(metric)]
        for metric in metrics}

    # Every request of the load (from the session start; failed ones too) that took the autosave bar or longer.
    slow = sorted((at, ms, endpoint) for endpoint, samples in stats.latency.items() for at, ms in samples
                  if at >= origin and ms >= WINDOW_MS)
    windows: list[dict] = []
    for at, ms, endpoint in slow:
        end = at + ms / 1000
        if windows and at <= windows[-1]["to"]:
            window = windows[-1]
            window["to"] = max(window["to"], end)
            window["requests"][endpoint] += 1
            window["max_ms"] = max(window["max_ms"], ms)
        else:
            windows.append({"from": at, "to": end, "requests": Counter({endpoint: 1}), "max_ms": ms})
    out["windows"] = []
    for window in sorted(windows, key=lambda w: -w["max_ms"])[:5]:
        t0, t1 = window["from"], window["to"]
        out["windows"].append({
            "from": rel(t0), "to": rel(t1), "max_ms": round(window["max_ms"], 1),
            "requests": dict(window["requests"]),
            "stalls": {watcher: [[rel(at), round(ms, 1)] for at, ms in found if at >= t0 and at - ms / 1000 <= t1]
                       for watcher, found in sorted(stalls.items())},
            "pressure": [{k: (rel(v) if k == "at" else v) for k, v in second.items() if k != "kind"}
                         for second in pressure if second["at"] >= t0 and second["at"] - 1 <= t1]})
    return out


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / 2**20, 1)}


def code_version() -> str:
    """The commit, and the application files changed on top of it (other work may be in progress)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--short", "--", "aigcert"], cwd=ROOT, capture_output=True,
                           text=True).stdout.split("\n")
    changed = [line[3:] for line in dirty if line[:2].strip() in {"M", "A", "D", "??"} and line.endswith(".py")]
    return head.strip() + (f" + uncommitted {', '.join(changed)}" if changed else "")


def fmt(summary: dict) -> str:
    if not summary.get("n"):
        return "—"
    return f"{summary['p50']:.0f} / {summary['p95']:.0f} / {summary['p99']:.0f} / {summary['max']:.0f}"


def run(args) -> int:
    n = args.candidates
    env_self = base_env(args, database=DB, pooled=False)
    env_server = base_env(args, database=DB, pooled=True)
    RUNNING_FLAG.write_text(f"bench/exam_day.py pid {os.getpid()}\n")
    processes = PROCESSES
    try:
        if args.rebuild_template or not template_ready():
            print("building the template database …", flush=True)
            admin_sql(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)", f"CREATE DATABASE {TEMPLATE}")
            subprocess.run([sys.executable, __file__, "_template"], check=True, cwd=ROOT,
                           env={**os.environ, **base_env(args, database=TEMPLATE, pooled=False),
                                "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend"})
            admin_sql(f"COMMENT ON DATABASE {TEMPLATE} IS '{template_mark()}'")
        admin_sql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", f"CREATE DATABASE {DB} TEMPLATE {TEMPLATE}",
                  # In PostgreSQL's own log: what in the run's database took 200 ms or more, and lock waits of
                  # 100 ms or more (log_lock_waits reports a wait once it passes deadlock_timeout).
                  f"ALTER DATABASE {DB} SET log_min_duration_statement = 200",
                  f"ALTER DATABASE {DB} SET log_lock_waits = on",
                  f"ALTER DATABASE {DB} SET deadlock_timeout = '100ms'",
                  # The time of each WAL sync, in pg_stat_wal, for the syncs the run's sessions make.
                  f"ALTER DATABASE {DB} SET track_wal_io_timing = on")
        os.environ.update(env_self)
        os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
        import django

        django.setup()
        from django.db import connection

        from aigcert.core.api import now

        checkin_seconds = args.checkin_seconds or max(20.0, n / args.checkin_rate)
        t_setup = time.time()

        def start_after_setup():
            # After the check-in phase; minting the sessions and starting the server take ~1 ms a candidate.
            lead = 10 + n * 0.001 + checkin_seconds + args.wait_seconds
            return now().replace(microsecond=0) + timedelta(seconds=lead)

        setup = populate(n, start_at=start_after_setup, duration=args.duration,
                         checkin_in_setup=args.checkin == "setup", stagger=args.stagger)
        start_at = setup["start_at"]
        connection.close()
        setup_s = time.time() - t_setup  # the VM's speed of the day shows here too (bulk inserts, hashing)
        print(f"setup: {n} candidates in {setup_s:.1f} s; session {setup['session']} starts "
              f"{start_at:%H:%M:%S}", flush=True)
        log_dir = DATA_DIR / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        processes.extend(server_start(args, env_server, log_dir))
        sampler = CpuSampler(processes[0].pid, processes[1].pid)
        sampler.start()
        stall_file = log_dir / "stalls.jsonl"
        probe = subprocess.Popen([sys.executable, str(ROOT / "bench" / "stall_probe.py"), str(stall_file),
                                  "--redis", REDIS_URL, "--postgres", ADMIN_DSN], cwd=ROOT)
        processes.append(probe)

        start_wall = start_at.timestamp()
        spread = 20 if args.stagger is None else args.stagger
        t_checkin = max(time.time() + 2, start_wall - args.wait_seconds - checkin_seconds)
        if t_checkin + checkin_seconds > start_wall - 5:
            print(f"warning: the setup ran late; arrivals end {t_checkin + checkin_seconds - start_wall:+.0f} s "
                  "from the start", flush=True)
        rng = random.Random(args.seed)
        first_deadline = start_wall + args.duration * 60
        plan = {
            "port": args.port, "session": setup["session"], "poll": args.poll, "end": args.end,
            "checkin": args.checkin,
            # Nothing is sent after this (an overloaded server must not keep the run going for ever).
            "cutoff": start_wall + args.duration * 60 + spread + args.grace + 30,
            "interval": args.interval, "jitter": args.jitter, "save_margin": 3.0,
            "checkin_at": [t_checkin + rng.uniform(0, checkin_seconds) for _ in range(n)],
            # One 60 s window, ending 5 s before the earliest deadline (deadlines spread over the stagger).
            "submit_at": [first_deadline - 65 + rng.uniform(0, 60) for _ in range(n)],
        }
        stats = Stats()
        t_load = time.time()
        with ClientGc(args.client_gc) as client_gc:
            if args.loop == "uvloop":
                import uvloop

                candidates = uvloop.run(load(setup["clients"], plan, stats, args.seed))
            else:
                candidates = asyncio.run(load(setup["clients"], plan, stats, args.seed))
        t_done = time.time()
        print(f"load done in {t_done - t_load:.0f} s", flush=True)
        probe_cpu_s = _proc_cpu(probe.pid)
        server_stop([probe])

        result: dict = {"candidates": n, "end": args.end, "duration_min": args.duration, "machine": machine(),
                        "server": {"kind": args.server, "workers": args.workers, "threads": args.threads,
                                   "pool_min": args.pool_min, "pool_max": args.pool_max, "grace_s": args.grace,
                                   "finalize_every_s": 2},
                        "client": {"loop": args.loop, "gc": client_gc.summary(start_wall)},
                        "checkin": args.checkin, "stagger_s": spread,
                        "timeouts_s": {"start and page": 120, "other": 30},
                        "interval_s": args.interval, "jitter_s": args.jitter, "poll": args.poll,
                        "checkin_seconds": round(checkin_seconds, 1), "command": " ".join(sys.argv),
                        "date": time.strftime("%Y-%m-%d %H:%M"), "code": code_version(),
                        "setup_s": round(setup_s, 1)}
        started = sorted(stats.events["started"])
        loaded = sorted(stats.events["page loaded"])
        result["start_spread_s"] = {
            "first_start_after_session_start": round(started[0] - start_wall, 2) if started else None,
            "last_start_after_session_start": round(started[-1] - start_wall, 2) if started else None,
            "last_page_after_session_start": round(loaded[-1] - start_wall, 2) if loaded else None}
        steady_from = (loaded[-1] + 5) if loaded else start_wall
        steady_to = first_deadline - 70
        result["endpoints"] = {name: stats.summary(name) for name in sorted(stats.latency)}
        for name in stats.errors:
            result["endpoints"].setdefault(name, {"n": 0})["errors"] = dict(stats.errors[name])
        result["autosave_steady"] = stats.summary("autosave", steady_from, steady_to)
        result["autosave_rate_per_s"] = round(
            sum(1 for at, _ms in stats.latency["autosave"] if steady_from <= at <= steady_to)
            / max(1, steady_to - steady_from), 1)
        result["failed_clients"] = dict(Counter(c.failed for c in candidates if c.failed))
        result["submitted"] = sum(c.submitted for c in candidates)
        phases = {"check-in": (t_checkin, start_wall), "start": (start_wall, (loaded[-1] if loaded else start_wall)),
                  "steady autosave": (steady_from, steady_to)}
        if args.end == "submit":
            submit_times = sorted(stats.events["submitted"])
            phases["submit window"] = (first_deadline - 65, first_deadline - 5)
            result["submit_window_s"] = round(submit_times[-1] - submit_times[0], 1) if submit_times else None
        else:
            wait = max(0.0, first_deadline + spread + 1 - time.time())  # the last deadline: ≤ stagger later
            time.sleep(wait)
            t_final = time.time()
            result["finalize"] = finalize_check(setup["session"], args.grace, timeout=180)
            phases["finalize"] = (first_deadline + args.grace, time.time())
            print(f"finalize poll took {time.time() - t_final:.0f} s", flush=True)
        time.sleep(1.5)
        result["cpu_cores_used"] = {name: sampler.usage(*span) for name, span in phases.items()}
        result["disk_and_wal"] = {name: sampler.io(*span) for name, span in phases.items()}
        # Where the slow saves are: per phase, and p99 per 10 s from the session start (a hiccup vs a queue).
        result["autosave_by_phase"] = {name: stats.summary("autosave", *span) for name, span in phases.items()}
        buckets: dict[int, list[float]] = {}
        for at, ms in stats.latency.get("autosave", []):
            buckets.setdefault(int((at - start_wall) // 10) * 10, []).append(ms)
        result["autosave_p99_per_10s"] = {
            str(t): [len(v), round(sorted(v)[min(len(v) - 1, int(0.99 * len(v)))], 1)]
            for t, v in sorted(buckets.items())}
        result["autosave_slowest"] = [  # [s from the session start, ms]: to set beside the server's access log
            [round(at - start_wall, 2), round(ms, 1)]
            for at, ms in sorted(stats.latency.get("autosave", []), key=lambda sample: -sample[1])[:30]]
        try:  # a summary that fails must not cost the run its result
            result["stalls"] = stall_report(stall_file, start_wall, stats) | {"probe_cpu_s": round(probe_cpu_s, 1)}
        except Exception as error:
            result["stalls"] = {"error": f"{type(error).__name__}: {error}", "file": str(stall_file)}
        result["answers"] = answers_check(candidates)
        connection.close()
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"exam_day-{n}-{args.end}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        report(result)
        print(f"\nwritten to {out.relative_to(ROOT)}")
        return 0
    finally:
        server_stop(processes)
        RUNNING_FLAG.unlink(missing_ok=True)


def report(result: dict) -> None:
    print(json.dumps({k: v for k, v in result.items() if k not in {"endpoints"}}, indent=1, ensure_ascii=False,
                     default=str))
    print("\n| endpoint | n | p50 / p95 / p99 / max (ms) | errors |\n| --- | --- | --- | --- |")
    for name, summary in result["endpoints"].items():
        print(f"| {name} | {summary.get('n', 0)} | {fmt(summary)} | {summary.get('errors') or 0} |")
    print(f"| autosave, steady part only | {result['autosave_steady'].get('n', 0)} | "
          f"{fmt(result['autosave_steady'])} | |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("_template", help="(internal) build the template database")
    r = sub.add_parser("run", help="set up, serve, load, check")
    r.add_argument("--candidates", type=int, default=200)
    r.add_argument("--duration", type=int, default=5, help="exam duration in minutes (scaled down)")
    r.add_argument("--end", choices=["submit", "expire"], default="submit")
    r.add_argument("--interval", type=float, default=30.0, help="autosave interval (s)")
    r.add_argument("--jitter", type=float, default=3.0, help="± jitter of the autosave interval (s)")
    r.add_argument("--grace", type=int, default=5, help="EXAM_SAVE_GRACE_SECONDS of the server (the default)")
    r.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--threads", type=int, default=4)
    r.add_argument("--pool-min", type=int, default=4)
    r.add_argument("--pool-max", type=int, default=8)
    r.add_argument("--port", type=int, default=8765)
    r.add_argument("--checkin", choices=["http", "setup"], default="http",
                   help="http: each client checks in through the form; setup: the setup checks everyone in "
                        "(examday.checkin_confirm) and each client only opens the waiting room")
    r.add_argument("--checkin-rate", type=float, default=20.0, help="arrivals per second in the check-in phase")
    r.add_argument("--checkin-seconds", type=float, default=0)
    r.add_argument("--wait-seconds", type=float, default=20.0, help="between the check-in phase and the start")
    r.add_argument("--stagger", type=int, default=None,
                   help="the session desk's unlock spread in seconds (default: the program policy's, 20)")
    r.add_argument("--poll", action="store_true", help="poll the status every 8-12 s in the waiting room")
    r.add_argument("--log-level", default="WARNING", help="the server's LOG_LEVEL")
    r.add_argument("--rebuild-template", action="store_true")
    r.add_argument("--seed", type=int, default=6)
    r.add_argument("--access-log", action="store_true",
                   help="granian's access log with each request's time in the app, into the server log")
    r.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop", help="the load client's event loop")
    r.add_argument("--client-gc", choices=["frozen", "on"], default="frozen",
                   help="the load client's garbage collector during the load (see ClientGc)")
    args = parser.parse_args()
    def stop(*_args):  # the server stops and the flag goes with this script
        server_stop(PROCESSES)
        RUNNING_FLAG.unlink(missing_ok=True)
        os._exit(143)

    signal.signal(signal.SIGTERM, stop)
    if args.command == "_template":
        template_build()
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
