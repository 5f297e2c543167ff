"""The program judge: runs a candidate's Python 3 code against an item's test cases (ADR 0017).

Each case is a fresh bubblewrap sandbox started as the unprivileged JUDGE_UID: new user, PID, network, IPC, UTS
and cgroup namespaces (so no network at all), a root that holds only a read-only /usr (with /lib, /lib64 and /bin
as the symlinks Debian 12 has), a private /proc and /dev, and a tmpfs /tmp, as big as the memory limit, as the
working directory. The project, the databases, /etc, /home, /root, /var, /run and /usr/local don't exist inside.
The code is copied in as /judge/main.py, the case's input is its stdin, and Debian's Python runs it with -I -S:
the standard library only, not whatever the host has installed.

A few lines of Python inside the sandbox set the limits and then exec the program: CPU seconds, address space,
processes, file size, no core files. The host enforces the rest: wall time (3 × the CPU limit + 1 s) and output
(JUDGE_MAX_OUTPUT_KB), by killing the program, which is PID 1 of its namespace, so the kernel ends every process
it started before bwrap exits.

Outputs are compared line by line after `normalised`: CR LF and CR count as LF, and trailing whitespace on each
line and blank lines at the end are ignored; everything else (leading spaces, case, blank lines in between) counts."""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

ACCEPTED, WRONG_ANSWER, TIME_LIMIT, MEMORY_LIMIT, RUNTIME_ERROR, OUTPUT_LIMIT = (
    "accepted", "wrong_answer", "time_limit", "memory_limit", "runtime_error", "output_limit")
JUDGED, UNAVAILABLE = "judged", "unavailable"

LANGUAGES = ("python3",)
DETAIL_MAX_CHARS = 2000  # what a marker reads of a case: the tail of stderr, or expected vs got
_LINE_MAX_CHARS = 200
_KILL_GRACE_SECONDS = 5.0
_SANDBOX_CODE = "/judge/main.py"
_SANDBOX_TMP = "/tmp"  # noqa: S108 -- the sandbox's own tmpfs, not the host's /tmp
_MEMORY_MESSAGES = re.compile(r"MemoryError|Cannot allocate memory|[Oo]ut of memory")

# Runs inside the sandbox as PID 1, before the candidate's code: set the limits, tell the host the sandbox is up
# (a byte on the marker fd: anything failing before it is the judge's fault, not the program's), close every
# inherited descriptor so the program can't write to the judge's pipes, and become the program.
_LAUNCHER = """\
import os, resource, sys
cpu, memory, processes, file_size, marker = map(int, sys.argv[1:6])
for which, value in ((resource.RLIMIT_CPU, cpu), (resource.RLIMIT_AS, memory), (resource.RLIMIT_NPROC, processes),
                     (resource.RLIMIT_FSIZE, file_size), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(which, (value, value))
os.write(marker, b"+")
os.closerange(3, os.sysconf("SC_OPEN_MAX"))
os.execv(sys.argv[6], [sys.argv[6], "-I", "-S", sys.argv[7]])
"""
# (-I -S above: no PYTHON* variables, no site-packages. Limits go in soft = hard: the program is PID 1, which
# ignores SIGXCPU, so the kernel's SIGKILL at the hard limit is what stops it.)


@dataclass(frozen=True)
class CaseResult:
    index: int
    verdict: str
    points: Decimal
    max_points: Decimal
    time_ms: int  # wall time of the case
    detail: str  # short, for the marker: stderr tail or what was expected vs got (truncated)


@dataclass(frozen=True)
class JudgeResult:
    status: str  # JUDGED or UNAVAILABLE
    cases: tuple[CaseResult, ...]
    points: Decimal  # sum of accepted cases' points; Decimal(0) when UNAVAILABLE
    message: str  # why unavailable; empty when judged

    def as_json(self) -> dict:
        """JSON-safe (Decimals as strings), for a JSONField."""
        return {
            "status": self.status,
            "points": str(self.points),
            "message": self.message,
            "cases": [
                {"index": case.index, "verdict": case.verdict, "points": str(case.points),
                 "max_points": str(case.max_points), "time_ms": case.time_ms, "detail": case.detail}
                for case in self.cases
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> JudgeResult:
        return cls(
            status=data["status"],
            points=Decimal(data["points"]),
            message=data.get("message", ""),
            cases=tuple(
                CaseResult(index=case["index"], verdict=case["verdict"], points=Decimal(case["points"]),
                           max_points=Decimal(case["max_points"]), time_ms=case["time_ms"],
                           detail=case.get("detail", ""))
                for case in data.get("cases", ())
            ),
        )


def unavailable(message: str) -> JudgeResult:
    return JudgeResult(status=UNAVAILABLE, cases=(), points=Decimal(0), message=message)


@dataclass(frozen=True)
class RunOutcome:
    """What one sandboxed run did, before any judgement."""

    exit_code: int  # the program's exit status as bwrap passes it on: 128 + the signal when a signal ended it
    # User + system time of the program and of the children it waited for, interpreter start included. Not its peak
    # memory: the maximum RSS the kernel reports would include the web process bwrap was forked from.
    cpu_ms: int
    wall_ms: int
    timed_out: bool  # the judge stopped it at the wall-time limit
    output_exceeded: bool  # the judge stopped it for writing more than JUDGE_MAX_OUTPUT_KB
    stdout: bytes
    stderr_tail: str


def normalised(text: str) -> list[str]:
    """The comparison rule: line endings (\\r\\n, \\r) become \\n, each line loses its trailing whitespace, and blank
    lines at the end are dropped. Leading whitespace, blank lines in between and letter case all count."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _clip(text: str, limit: int = _LINE_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tail(text: str, limit: int = DETAIL_MAX_CHARS) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def difference(expected: str, got: str) -> str:
    """The first line where the output differs from the expected one, for the marker; empty when they match."""
    want, have = normalised(expected), normalised(got)
    if want == have:
        return ""
    for number in range(max(len(want), len(have))):
        line_want = want[number] if number < len(want) else None
        line_have = have[number] if number < len(have) else None
        if line_want != line_have:
            break
    end = _("(end of output)")
    return _("Line %(line)d: expected %(expected)s, got %(got)s") % {
        "line": number + 1,
        "expected": end if line_want is None else f"«{_clip(line_want)}»",
        "got": end if line_have is None else f"«{_clip(line_have)}»",
    }


def _signal_of(exit_code: int) -> int | None:
    number = exit_code - 128
    if 0 < number < signal.NSIG:
        with contextlib.suppress(ValueError):
            return signal.Signals(number)
    return None


def cpu_limit_seconds(time_limit_ms: int) -> int:
    """RLIMIT_CPU counts whole seconds: the kernel stops a program at this, the verdict uses the exact CPU time."""
    return max(1, math.ceil(time_limit_ms / 1000))


def case_verdict(outcome: RunOutcome, expected: str, *, time_limit_ms: int) -> tuple[str, str]:
    """(verdict, detail) for one case from what the run did. Pure, so every rule is tested without a sandbox.

    The order matters: the judge's own stops come first (the program's output or exit status then mean nothing),
    then memory (Python's MemoryError is an ordinary exit 1), then time, then any other failure, then the output.
    The program is PID 1 of its namespace, so nothing inside can SIGKILL it: a SIGKILL is the CPU limit's, or,
    short of it, the kernel's out-of-memory killer's."""
    stderr = outcome.stderr_tail.strip()
    if outcome.output_exceeded:
        return OUTPUT_LIMIT, _("Stopped after writing more than %(kb)d kB.") % {"kb": settings.JUDGE_MAX_OUTPUT_KB}
    if outcome.timed_out:
        return TIME_LIMIT, _("Stopped after %(seconds).1f s of wall-clock time (CPU limit %(limit)d ms).") % {
            "seconds": outcome.wall_ms / 1000, "limit": time_limit_ms}
    sig = _signal_of(outcome.exit_code)
    if outcome.exit_code and _MEMORY_MESSAGES.search(stderr):
        return MEMORY_LIMIT, _tail(stderr)
    # rusage rounds to the scheduler's tick, so a program stopped at the RLIMIT_CPU line may show a little less.
    at_cpu_limit = outcome.cpu_ms >= cpu_limit_seconds(time_limit_ms) * 900
    if outcome.cpu_ms > time_limit_ms or (sig in (signal.SIGXCPU, signal.SIGKILL) and at_cpu_limit):
        return TIME_LIMIT, _("Used %(cpu)d ms of CPU time; the limit is %(limit)d ms.") % {
            "cpu": outcome.cpu_ms, "limit": time_limit_ms}
    if sig == signal.SIGKILL:
        return MEMORY_LIMIT, _("Killed by the kernel, most likely for running out of memory.")
    if sig == signal.SIGXFSZ:
        return OUTPUT_LIMIT, _("Wrote a file larger than the limit.")
    if outcome.exit_code:
        if stderr:
            return RUNTIME_ERROR, _tail(stderr)
        if sig:
            return RUNTIME_ERROR, _("Ended by %(signal)s.") % {"signal": signal.Signals(sig).name}
        return RUNTIME_ERROR, _("Exited with status %(code)d.") % {"code": outcome.exit_code}
    diff = difference(expected, outcome.stdout.decode("utf-8", errors="replace"))
    return (WRONG_ANSWER, _tail(diff)) if diff else (ACCEPTED, "")


# -- running one case ------------------------------------------------------------------------------------------------


class _JudgeBroken(Exception):
    """The sandbox couldn't run the program: the judge's fault, never the candidate's."""


def _sealed_memfd(name: str, data: bytes) -> int:
    # An anonymous, sealed file: nothing on the host's disk, and the program can't change what it reads.
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                    fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _bwrap_args(*, code_fd: int, status_fd: int, marker_fd: int, cpu_seconds: int, memory_bytes: int) -> list[str]:
    python = settings.JUDGE_PYTHON
    return [
        settings.JUDGE_BWRAP,
        # --unshare-user explicitly (--unshare-all only tries it): --disable-userns needs it, and without a user
        # namespace the sandbox is not one.
        "--unshare-all", "--unshare-user", "--disable-userns",
        "--die-with-parent", "--new-session",
        # The program is PID 1: when it ends the kernel ends everything it left behind, before bwrap can exit, and
        # bwrap reaps it, so its CPU time reaches the judge.
        "--as-pid-1",
        "--clearenv",
        "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8", "--setenv", "HOME", _SANDBOX_TMP,
        "--ro-bind", "/usr", "/usr",
        "--tmpfs", "/usr/local",  # the host's own installs (and their config), not Debian's
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(memory_bytes), "--tmpfs", _SANDBOX_TMP,
        "--dir", "/judge", "--perms", "0444", "--ro-bind-data", str(code_fd), _SANDBOX_CODE,
        "--chdir", _SANDBOX_TMP,
        "--json-status-fd", str(status_fd),
        "--",
        python, "-I", "-S", "-c", _LAUNCHER,
        str(cpu_seconds), str(memory_bytes), str(settings.JUDGE_MAX_PROCESSES), str(memory_bytes), str(marker_fd),
        python, _SANDBOX_CODE,
    ]


def _as_judge_user() -> dict:
    # Root is exempt from RLIMIT_NPROC, so the sandbox must not be root's. Popen switches users in C after the
    # fork (no preexec_fn, which is unsafe with threads); a judge not run by root runs the sandbox as itself.
    if os.geteuid() != 0:
        return {}
    uid = settings.JUDGE_UID
    return {"user": uid, "group": uid, "extra_groups": []}


def _run(code: str, stdin: str, *, time_limit_ms: int, memory_limit_mb: int) -> RunOutcome:
    """Run `code` once in a fresh sandbox. Raises _JudgeBroken when the sandbox didn't get as far as the program."""
    cpu_seconds = cpu_limit_seconds(time_limit_ms)
    wall_seconds = 3 * time_limit_ms / 1000 + 1
    memory_bytes = memory_limit_mb << 20
    output_cap = settings.JUDGE_MAX_OUTPUT_KB << 10
    with contextlib.ExitStack() as stack:
        fds: list[int] = []
        stack.callback(lambda: [os.close(fd) for fd in fds])
        code_fd = _sealed_memfd("main.py", code.encode())
        fds.append(code_fd)
        stdin_fd = _sealed_memfd("stdin", stdin.encode())
        fds.append(stdin_fd)
        status_r, status_w = os.pipe()
        marker_r, marker_w = os.pipe()
        fds += [status_r, status_w, marker_r, marker_w]
        args = _bwrap_args(code_fd=code_fd, status_fd=status_w, marker_fd=marker_w, cpu_seconds=cpu_seconds,
                           memory_bytes=memory_bytes)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(  # noqa: S603 -- a fixed argument list; the candidate's code is data in a memfd
                args, stdin=stdin_fd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(code_fd, status_w, marker_w), start_new_session=True, **_as_judge_user())
        except OSError as error:
            raise _JudgeBroken(_("cannot start %(bwrap)s: %(error)s") % {
                "bwrap": settings.JUDGE_BWRAP, "error": error.strerror or error}) from error
        for fd in (status_w, marker_w):
            fds.remove(fd)
            os.close(fd)
        try:
            watched = _Watched(proc, status_r, started=started, deadline=started + wall_seconds, cap=output_cap)
            watched.follow()
        finally:
            # Nothing of the sandbox outlives the call, whatever went wrong above.
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.returncode = os.waitstatus_to_exitcode(os.waitpid(proc.pid, 0)[1])
            proc.stdout.close()
            proc.stderr.close()
        wall_ms = int((watched.ended - started) * 1000)
        os.set_blocking(marker_r, False)
        try:
            marker = os.read(marker_r, 1)
        except BlockingIOError:
            marker = b""
        if marker != b"+":
            raise _JudgeBroken(_sandbox_failure(proc.returncode, watched, wall_seconds))
        exit_code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
        return RunOutcome(
            exit_code=exit_code,
            cpu_ms=int((watched.usage.ru_utime + watched.usage.ru_stime) * 1000),
            wall_ms=wall_ms,
            timed_out=watched.stopped_for == "time",
            output_exceeded=watched.stopped_for == "output",
            stdout=bytes(watched.stdout),
            stderr_tail=watched.stderr_tail.decode("utf-8", errors="replace"),
        )


def _sandbox_failure(returncode: int, watched: _Watched, wall_seconds: float) -> str:
    stderr = watched.stderr_tail.decode("utf-8", errors="replace").strip()
    if watched.stopped_for == "time":
        return _("the sandbox did not start the program within %(seconds).1f s") % {"seconds": wall_seconds}
    if stderr:
        return _tail(stderr, 500)
    return _("%(bwrap)s exited with status %(code)d before the program started") % {
        "bwrap": settings.JUDGE_BWRAP, "code": returncode}


class _Watched:
    """Reads a running sandbox's output, and stops it at the wall-time deadline or past the output cap."""

    def __init__(self, proc: subprocess.Popen, status_fd: int, *, started: float, deadline: float, cap: int):
        self.proc = proc
        self.status_fd = status_fd
        self.deadline = deadline
        self.cap = cap
        self.stdout = bytearray()
        self.stderr_tail = b""
        self.written = 0
        self.stopped_for = ""
        self.ended = started
        self.usage = None
        self._status = b""
        self._pid1_fd: int | None = None

    def follow(self) -> None:
        proc = self.proc
        exit_fd = os.pidfd_open(proc.pid)
        selector = selectors.DefaultSelector()
        try:
            selector.register(proc.stdout, selectors.EVENT_READ, "stdout")
            selector.register(proc.stderr, selectors.EVENT_READ, "stderr")
            selector.register(self.status_fd, selectors.EVENT_READ, "status")
            selector.register(exit_fd, selectors.EVENT_READ, "exit")
            exited = False
            streams = 2
            while streams or not exited:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    if self.stopped_for or exited:
                        # Killed and still not gone: kill bwrap's group too (it is not reaped yet, so the id is
                        # still ours) and stop waiting for the pipes.
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(proc.pid, signal.SIGKILL)
                        break
                    self._stop("time")
                    continue
                for key, _events in selector.select(remaining):
                    if key.data == "exit":
                        exited = True
                        self.ended = time.monotonic()
                        selector.unregister(exit_fd)
                        # bwrap is a zombie until reaped below, so its group id can't be reused yet: anything
                        # left in the group (a sandbox that failed half-way) goes now.
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(proc.pid, signal.SIGKILL)
                        continue
                    chunk = os.read(key.fd, 65536)
                    if key.data == "status":
                        self._status_chunk(chunk, selector)
                        continue
                    if not chunk:
                        selector.unregister(key.fileobj)
                        streams -= 1
                        continue
                    self.written += len(chunk)
                    if key.data == "stdout":
                        self.stdout += chunk[: max(0, self.cap - len(self.stdout))]
                    else:
                        self.stderr_tail = (self.stderr_tail + chunk)[-DETAIL_MAX_CHARS * 2:]
                    if self.written > self.cap and not self.stopped_for:
                        self._stop("output")
            _pid, status, self.usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            if not exited:
                self.ended = time.monotonic()
        finally:
            selector.close()
            os.close(exit_fd)
            if self._pid1_fd is not None:
                os.close(self._pid1_fd)

    def _status_chunk(self, chunk: bytes, selector: selectors.BaseSelector) -> None:
        # bwrap writes the sandbox's PID 1 (as the host sees it) in its first line, before the program may run, so
        # only that line is trusted; the launcher closes this pipe before the candidate's code starts anyway.
        self._status += chunk
        if b"\n" not in self._status and chunk:
            return
        selector.unregister(self.status_fd)
        with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
            pid = json.loads(self._status.split(b"\n", 1)[0])["child-pid"]
            self._pid1_fd = os.pidfd_open(int(pid))

    def _stop(self, reason: str) -> None:
        """Kill the sandbox's PID 1: the kernel then kills the rest of the namespace before bwrap reaps it and exits,
        so nothing is left over and nothing is orphaned. bwrap's whole group is killed only if that can't work."""
        self.stopped_for = reason
        self.ended = time.monotonic()
        self.deadline = time.monotonic() + _KILL_GRACE_SECONDS
        if self._pid1_fd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pid1_fd, signal.SIGKILL)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)


# -- the public entry points -------------------------------------------------------------------------------------


def judge_available() -> tuple[bool, str]:
    """Runs a trivial program in the sandbox (once per call): (True, "") when it works, else (False, why)."""
    try:
        outcome = _run("print(6 * 7)", "", time_limit_ms=2000, memory_limit_mb=settings.JUDGE_DEFAULT_MEMORY_MB)
    except _JudgeBroken as broken:
        return False, _("The program judge is unavailable: %(reason)s") % {"reason": broken}
    if outcome.exit_code or outcome.stdout.strip() != b"42":
        reason = outcome.stderr_tail.strip() or _("the test program printed %(got)r") % {"got": outcome.stdout[:100]}
        return False, _("The program judge is unavailable: %(reason)s") % {"reason": _tail(reason, 500)}
    return True, ""


def program_judge(*, code: str, tests: list[tuple[str, str, Decimal]], time_limit_ms: int | None = None,
                  memory_limit_mb: int | None = None, language: str = "python3") -> JudgeResult:
    """Run `code` on each (input, expected output, points) test and award each accepted case its points.

    None limits take JUDGE_DEFAULT_TIME_MS and JUDGE_DEFAULT_MEMORY_MB. The time limit is CPU time, interpreter start
    included (some 25 ms); the memory limit is address space, and /tmp may hold as much again. Outputs are compared
    after `normalised` (line endings, trailing whitespace and trailing blank lines don't count). When the sandbox
    itself fails, the result is UNAVAILABLE with no cases and no points: a person has to look, and the candidate is
    neither failed nor passed for it."""
    if language not in LANGUAGES:
        return unavailable(_("The program judge does not support the language “%(language)s”; it runs Python 3 only.")
                           % {"language": language})
    time_limit_ms = settings.JUDGE_DEFAULT_TIME_MS if time_limit_ms is None else time_limit_ms
    memory_limit_mb = settings.JUDGE_DEFAULT_MEMORY_MB if memory_limit_mb is None else memory_limit_mb
    if time_limit_ms <= 0 or memory_limit_mb <= 0:
        raise ValueError(f"limits must be positive: {time_limit_ms} ms, {memory_limit_mb} MB")
    cases = []
    for index, (stdin, expected, max_points) in enumerate(tests):
        try:
            outcome = _run(code, stdin, time_limit_ms=time_limit_ms, memory_limit_mb=memory_limit_mb)
        except _JudgeBroken as broken:
            return unavailable(_("The program judge is unavailable: %(reason)s") % {"reason": broken})
        verdict, detail = case_verdict(outcome, expected, time_limit_ms=time_limit_ms)
        points = Decimal(max_points) if verdict == ACCEPTED else Decimal(0)
        cases.append(CaseResult(index=index, verdict=verdict, points=points, max_points=Decimal(max_points),
                                time_ms=outcome.wall_ms, detail=detail))
    return JudgeResult(status=JUDGED, cases=tuple(cases), points=sum((case.points for case in cases), Decimal(0)),
                       message="")
