"""Helpers for the fault drills (test_fault_drills.py): formal attempts committed for real (the drills run with
transaction=True so that a separate server process sees them), a granian server started with the test run's own
settings, and a small client that behaves like player.js (a queue of answers, retried until the server confirms
their sequence number) and remembers what the server confirmed."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.core.api import now
from aigcert.delivery import examday
from aigcert.delivery.models import Attempt, Response
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank

GENERAL = "aigc-general"
BENCH_FLAG = Path("/tmp/bench-running")


# -- a formal exam under way, committed ------------------------------------------------------------------------

def exam_bank_commit(make_user) -> None:
    """The shipped catalog, the demo bank and blueprints, committed (not the module-wide rolled-back fixture: a
    server in another process must see them, and its open transaction would hold locks the drills need)."""
    call_command("load_catalog", stdout=io.StringIO())
    itembank.demo_bank_load(author=make_user(Role.ITEM_AUTHOR), reviewer=make_user(Role.ITEM_REVIEWER))
    exams.demo_blueprints_load(actor=make_user(Role.EXAM_ADMIN))


def formal_session(make_user, *, duration_minutes: int = 90):
    """A formal 通用级 session that started a minute ago, its papers frozen (the tasks run inline in tests)."""
    admin = make_user(Role.EXAM_ADMIN)
    start = now() - timedelta(minutes=1)
    session = apps.get_model("exams", "Session").objects.create(
        program_code=GENERAL, sitting_code="am", sitting_label_zh="上午场", sitting_label_en="Morning",
        start_at=start, duration_minutes=duration_minutes, capacity=100,
        booking_opens_at=start - timedelta(days=30), booking_closes_at=start - timedelta(days=3))
    exams.session_papers_prepare(session_code=str(session.code), actor=admin)
    assert exams.session_papers(str(session.code)), "the session's papers were not frozen"
    return session


def formal_attempt(session, make_user) -> Attempt:
    """A booked candidate who checked in and started: their open formal attempt."""
    user = make_user(Role.CANDIDATE)
    enrolment = apps.get_model("enrolment", "Enrolment").objects.create(
        candidate=user, program_code=session.program_code, state="booked")
    booking = apps.get_model("enrolment", "Booking")
    booking.objects.create(enrolment=enrolment, session=session, status="confirmed",
                           ticket_number=f"T{session.pk:04d}{booking.objects.count() + 1:05d}")
    examday.checkin_confirm(candidate=user, session_code=str(session.code), confirmed=True, ip="127.0.0.1",
                            agent="drill")
    attempt = examday.formal_start(candidate_id=user.pk, session_code=str(session.code))[0]
    assert attempt.state == Attempt.State.OPEN
    return attempt


def session_cookie(user) -> str:
    """A logged-in session (in the cache, as the server keeps them) for `user`: the session cookie's value."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def random_value(entry, rnd: random.Random):
    """A valid answer of the item's type, different most of the time from the one before."""
    kind, detail = entry
    if kind == "single_choice":
        return rnd.choice(detail)
    if kind == "multiple_choice":
        return sorted(rnd.sample(detail, rnd.randint(1, len(detail))))
    if kind == "true_false":
        return rnd.choice([True, False])
    if kind == "fill_in":
        return ["".join(rnd.choices(string.ascii_lowercase, k=6)) for _ in range(detail)]
    return "答" + "".join(rnd.choices(string.ascii_letters, k=12))


def stored(attempt) -> dict[str, tuple]:
    return {r.slot: (r.value, r.seq) for r in Response.objects.filter(attempt=attempt)}


# -- PostgreSQL only, and the shared server ------------------------------------------------------------------

def wait_for_bench(limit_seconds: float = 600) -> float:
    """A load benchmark may share the PostgreSQL server (it says so with /tmp/bench-running): don't restart it
    under the benchmark. Returns the seconds waited; skips after `limit_seconds`."""
    start = time.monotonic()
    while BENCH_FLAG.exists():
        if time.monotonic() - start > limit_seconds:
            pytest.skip(f"{BENCH_FLAG} still exists after {limit_seconds:.0f} s: a benchmark is using PostgreSQL, "
                        "so it was not restarted")
        time.sleep(2)
    return time.monotonic() - start


def can_restart_postgresql() -> None:
    """The drill restarts the local cluster with pg_ctlcluster (as root; CI runs so): skip elsewhere, fail in CI."""
    problem = None
    if connection.settings_dict["HOST"] not in {"127.0.0.1", "localhost", "::1", ""}:
        problem = f"PostgreSQL is not local ({connection.settings_dict['HOST']})"
    elif shutil.which("pg_ctlcluster") is None:
        problem = "pg_ctlcluster is not installed"
    elif os.geteuid() != 0:
        problem = "restarting PostgreSQL needs root"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"cannot restart PostgreSQL: {problem}")
        pytest.skip(f"cannot restart PostgreSQL: {problem}")


def restart_postgresql() -> None:
    subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True, capture_output=True, timeout=120)


def reset_own_connection() -> None:
    """After a restart the test process's connection (and its pool's idle ones) are dead."""
    with contextlib.suppress(Exception):  # already broken
        connection.close()
    with contextlib.suppress(Exception):  # no pool, or already closed
        connection.close_pool()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict[str, str]:
    """The test run's settings for a server in another process: the test database, the same cache namespace
    (sessions live there) and the same secret key (so the sessions we mint verify)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"
    cache = settings.CACHES["default"]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": settings.SECRET_KEY, "DEBUG": "false",
           "AIGCERT_PLAIN_STATIC": "1", "LOG_LEVEL": "WARNING", "TASKS_BACKEND":
           "django_tasks.backends.immediate.ImmediateBackend", "DJANGO_SETTINGS_MODULE": "aigcert.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
        env["CACHE_KEY_PREFIX"] = cache["KEY_PREFIX"]
    return env


class Server:
    """granian on a fixed port: 2 workers × 4 threads, as in production but smaller."""

    def __init__(self, log_path: Path, port: int | None = None):
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 30) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        log.write(f"---- start {self.starts + 1}\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "wsgi", "aigcert.wsgi:application", "--workers", "2",
             "--blocking-threads", "4", "--host", "127.0.0.1", "--port", str(self.port), "--respawn-failed-workers",
             "--workers-kill-timeout", "3", "--no-ws", "--log-level", "warning"],
            env=server_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.healthy() and len(self.workers()) == 2:
                return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not come up:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        """The master's children, from /proc."""
        if self.process is None:
            return []
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                children.append(int(entry.name))
        return children

    def kill_workers(self) -> list[int]:
        """kill -9 every worker; the master notices and starts new ones."""
        pids = self.workers()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return pids

    def wait_workers_replaced(self, old: list[int], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.workers()
            if len(current) == 2 and not set(current) & set(old):
                return
            time.sleep(0.1)
        raise AssertionError(f"the master did not replace its killed workers:\n{self.log_tail()}")

    def crash(self) -> None:
        """kill -9 the master and its workers at once (the machine's processes gone), and reap them."""
        workers = self.workers()
        os.kill(self.process.pid, signal.SIGKILL)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        workers = self.workers()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in workers:  # orphans, should any survive their master
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2:].split()[0]
    except (OSError, ValueError):
        return "Z"


# -- a client that behaves like player.js ---------------------------------------------------------------------

@dataclass
class Tally:
    sent: int = 0
    ok: int = 0
    failures: dict[str, int] = field(default_factory=dict)

    def fail(self, what: str) -> None:
        self.failures[what] = self.failures.get(what, 0) + 1


class DrillClient:
    """One candidate's player: answers go into a queue (the latest per slot), a flush sends the whole queue and
    drops what the server confirmed with the same sequence number; anything else — a refused connection, a reset,
    a 5xx, a timeout — is retried with a short backoff. `confirmed` is what the candidate was told is saved."""

    def __init__(self, port: int, attempt: Attempt, cookie: str, seed: int):
        self.port, self.attempt, self.cookie = port, attempt, cookie
        self.rnd = random.Random(seed)
        self.slots = list(attempt.order["slots"])
        self.pending: dict[str, dict] = {}
        self.latest: dict[str, dict] = {}      # slot → the last entry typed (what the candidate sees on screen)
        self.confirmed: list[tuple[str, int, object]] = []  # (slot, seq, value) the server answered 200 "saved" to
        self.tally = Tally()
        self.lock = threading.Lock()
        self.typing = threading.Event()
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.device = self.csrf = self.save_url = ""
        self.seq = 0
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"drill-{attempt.pk}")

    # The page: the session cookie gets the player, which hands out the device token and the CSRF token.
    def open(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        conn.request("GET", f"/exam/{self.attempt.code}/", headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={self.cookie}; aigcert_language=en"})
        response = conn.getresponse()
        body = response.read().decode()
        assert response.status == 200, f"player: {response.status}"
        config = json.loads(re.search(r'<script id="exam-config" type="application/json">(.*?)</script>', body,
                                      re.S).group(1))
        cookies = "; ".join(response.headers.get_all("Set-Cookie") or [])
        token = re.search(rf"{settings.CSRF_COOKIE_NAME}=([^;]+)", cookies)
        self.csrf = token.group(1) if token else config["csrf"]
        self.device, self.save_url, self.seq = config["device"], config["saveUrl"], config["seqBase"]

    def type_one(self) -> None:
        slot = self.rnd.choice(self.slots)
        with self.lock:
            self.seq = max(self.seq + 1, int(time.time() * 1000))
            entry = {"slot": slot, "value": random_value(self.attempt.schema[slot], self.rnd), "flagged": False,
                     "seq": self.seq}
            self.pending[slot] = entry
            self.latest[slot] = entry

    def flush(self) -> bool:
        """One save request; True when it got an answer from the application (200)."""
        with self.lock:
            batch = [dict(e) for e in self.pending.values()]
        if not batch:
            return True
        body = json.dumps({"device": self.device, "responses": batch})
        self.tally.sent += 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("POST", self.save_url, body=body, headers={
                "Content-Type": "application/json", "X-CSRFToken": self.csrf,
                "Cookie": (f"{settings.SESSION_COOKIE_NAME}={self.cookie}; {settings.CSRF_COOKIE_NAME}={self.csrf}; "
                           "aigcert_language=en")})
            response = conn.getresponse()
            raw = response.read()
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            self.tally.fail(type(exc).__name__)
            return False
        if response.status != 200:
            self.tally.fail(f"HTTP {response.status}")
            if response.status < 500:
                self.errors.append(f"{response.status}: {raw[:300]!r}")  # the player would stop: a drill failure
            return False
        data = json.loads(raw)
        self.tally.ok += 1
        with self.lock:
            for sent in batch:
                if data["saved"].get(sent["slot"]) == sent["seq"]:
                    self.confirmed.append((sent["slot"], sent["seq"], sent["value"]))
                elif sent["slot"] not in data["stale"]:
                    self.errors.append(f"{sent['slot']} neither saved nor stale: {data}")
                    continue
                if self.pending.get(sent["slot"], {}).get("seq") == sent["seq"]:
                    del self.pending[sent["slot"]]
        return True

    def _run(self) -> None:
        backoff = 0.0
        while not self.stop.is_set():
            if self.typing.is_set():
                for _ in range(self.rnd.randint(1, 3)):
                    self.type_one()
            if self.flush():
                backoff = 0.0
                time.sleep(self.rnd.uniform(0.05, 0.15))
            else:
                backoff = min(2.0, backoff * 2 if backoff else 0.1)
                time.sleep(backoff + self.rnd.uniform(0, 0.1))
            if self.errors:
                return

    def start(self) -> None:
        self.typing.set()
        self.thread.start()

    def drain(self, timeout: float) -> None:
        """Stop typing; keep sending until the queue is empty (or the time is up)."""
        self.typing.clear()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.errors:
            with self.lock:
                if not self.pending:
                    break
            time.sleep(0.1)
        self.stop.set()
        self.thread.join(timeout=15)


def check_nothing_lost(clients: list[DrillClient]) -> list[str]:
    """Every answer confirmed as saved is in the database (or a newer one of the same slot, which this client
    typed later), and the database holds exactly the last answer the candidate typed in every slot."""
    problems = []
    for client in clients:
        problems += [f"attempt {client.attempt.pk}: client error {e}" for e in client.errors]
        if client.pending:
            problems.append(f"attempt {client.attempt.pk}: {len(client.pending)} answers never delivered")
        rows = stored(client.attempt)
        for slot, seq, value in client.confirmed:
            row = rows.get(slot)
            if row is None:
                problems.append(f"attempt {client.attempt.pk}: {slot} seq {seq} confirmed, no row")
            elif row[1] < seq or (row[1] == seq and row[0] != value):
                problems.append(f"attempt {client.attempt.pk}: {slot} seq {seq} confirmed, row has {row}")
        for slot, entry in client.latest.items():
            if rows.get(slot) != (entry["value"], entry["seq"]):
                problems.append(f"attempt {client.attempt.pk}: {slot} last typed {entry['value']!r} "
                                f"seq {entry['seq']}, stored {rows.get(slot)}")
    return problems
