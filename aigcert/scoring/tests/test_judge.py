"""The program judge: the verdict rules without a sandbox, then real programs in real bubblewrap, each hostile one
followed by a check that the host is unharmed (it can still start processes, and nothing of the sandbox is left).

No database: the judge reads settings and runs processes, nothing else."""

import json
import os
import socket
import subprocess
import time
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from aigcert.scoring import judge
from aigcert.scoring.judge import (
    ACCEPTED,
    JUDGED,
    MEMORY_LIMIT,
    OUTPUT_LIMIT,
    RUNTIME_ERROR,
    TIME_LIMIT,
    UNAVAILABLE,
    WRONG_ANSWER,
    CaseResult,
    JudgeResult,
    RunOutcome,
    case_verdict,
    judge_available,
    normalised,
    program_judge,
)

# Small limits keep the file fast: a busy loop is stopped at 1 s of CPU, a sleeper at 2.5 s of wall time.
LIMITS = {"time_limit_ms": 500, "memory_limit_mb": 64}
DOUBLE = "print(int(input()) * 2)"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# -- the rules, without processes -----------------------------------------------------------------------------------


def outcome(**changes) -> RunOutcome:
    fields = {"exit_code": 0, "cpu_ms": 30, "wall_ms": 40, "timed_out": False, "output_exceeded": False,
              "stdout": b"42\n", "stderr_tail": ""}
    return RunOutcome(**{**fields, **changes})


@pytest.mark.parametrize(("text", "lines"), [
    ("42", ["42"]),
    ("42\n", ["42"]),
    ("42\r\n", ["42"]),
    ("1 2  \t\n3\n\n\n", ["1 2", "3"]),  # trailing spaces and blank lines at the end don't count
    ("1\r2\r", ["1", "2"]),
    ("  indented\n\nafter a blank\n", ["  indented", "", "after a blank"]),  # leading spaces and inner blanks do
    ("", []),
    ("\n\n", []),
])
def test_normalised(text, lines):
    assert normalised(text) == lines


@pytest.mark.parametrize(("changes", "verdict"), [
    ({}, ACCEPTED),
    ({"stdout": b"42   \r\n\r\n"}, ACCEPTED),
    ({"stdout": b"41\n"}, WRONG_ANSWER),
    ({"stdout": b""}, WRONG_ANSWER),
    ({"stdout": b" 42\n"}, WRONG_ANSWER),
    # The judge's own stops win over whatever the program printed or returned.
    ({"output_exceeded": True}, OUTPUT_LIMIT),
    ({"output_exceeded": True, "timed_out": True, "exit_code": 137}, OUTPUT_LIMIT),
    ({"timed_out": True, "exit_code": 137}, TIME_LIMIT),
    # CPU time: exact against the limit, whatever the RLIMIT_CPU second rounded it to.
    ({"cpu_ms": 501}, TIME_LIMIT),
    ({"cpu_ms": 500}, ACCEPTED),
    ({"exit_code": 128 + 9, "cpu_ms": 997}, TIME_LIMIT),  # SIGKILL at the 1 s RLIMIT_CPU line
    ({"exit_code": 128 + 24, "cpu_ms": 1000}, TIME_LIMIT),  # SIGXCPU
    ({"exit_code": 128 + 9, "cpu_ms": 120}, MEMORY_LIMIT),  # SIGKILL well short of it: the OOM killer
    ({"exit_code": 1, "stderr_tail": "Traceback …\nMemoryError\n"}, MEMORY_LIMIT),
    ({"exit_code": 1, "stderr_tail": "Fatal Python error: Cannot allocate memory"}, MEMORY_LIMIT),
    ({"exit_code": 1, "stderr_tail": "Traceback …\nValueError: boom\n"}, RUNTIME_ERROR),
    ({"exit_code": 3}, RUNTIME_ERROR),
    ({"exit_code": 128 + 11}, RUNTIME_ERROR),  # SIGSEGV
    ({"exit_code": 128 + 25}, OUTPUT_LIMIT),  # SIGXFSZ
    ({"exit_code": 1, "stdout": b"42\n"}, RUNTIME_ERROR),  # the right output doesn't excuse the crash
])
def test_case_verdict(changes, verdict):
    assert case_verdict(outcome(**changes), "42\n", time_limit_ms=500)[0] == verdict


def test_case_verdict_details():
    assert case_verdict(outcome(), "42", time_limit_ms=500) == (ACCEPTED, "")
    _, detail = case_verdict(outcome(stdout=b"1\n2\nthree\n"), "1\n2\n3\n", time_limit_ms=500)
    assert detail == "Line 3: expected «3», got «three»"
    _, detail = case_verdict(outcome(stdout=b"1\n"), "1\n2\n", time_limit_ms=500)
    assert detail == "Line 2: expected «2», got (end of output)"
    _, detail = case_verdict(outcome(stdout=b"x" * 10_000), "y", time_limit_ms=500)
    assert len(detail) < 500
    _, detail = case_verdict(outcome(exit_code=1, stderr_tail="e" * 5000 + "\nValueError: boom"), "42",
                             time_limit_ms=500)
    assert len(detail) <= judge.DETAIL_MAX_CHARS and detail.endswith("ValueError: boom")
    assert case_verdict(outcome(exit_code=128 + 11), "42", time_limit_ms=500)[1] == "Ended by SIGSEGV."
    assert "1200 ms" in case_verdict(outcome(cpu_ms=1200), "42", time_limit_ms=500)[1]


def test_result_round_trips_through_json():
    result = JudgeResult(status=JUDGED, points=D("2.5"), message="", cases=(
        CaseResult(index=0, verdict=ACCEPTED, points=D("2.5"), max_points=D("2.5"), time_ms=31, detail=""),
        CaseResult(index=1, verdict=WRONG_ANSWER, points=D(0), max_points=D("1.50"), time_ms=29, detail="Line 1"),
    ))
    data = result.as_json()
    assert data["points"] == "2.5" and data["cases"][1]["max_points"] == "1.50"
    assert JudgeResult.from_json(json.loads(json.dumps(data))) == result


# -- real programs in the real sandbox ------------------------------------------------------------------------------


def sandbox_pids() -> set[int]:
    """Processes of the judge's user, as the host sees them."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue  # gone meanwhile
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        if int(uid_line.split()[1]) == django_settings.JUDGE_UID:
            found.add(int(entry.name))
    return found


@pytest.fixture
def host():
    """Asserts after the test that the sandbox left nothing running and the host can still start processes."""
    before = sandbox_pids()
    yield
    assert sandbox_pids() - before == set()
    assert subprocess.run(["/bin/true"], timeout=10).returncode == 0


def judge_one(code, stdin="", expected="", points=D(1), **limits):
    result = program_judge(code=code, tests=[(stdin, expected, points)], **{**LIMITS, **limits})
    assert result.status == JUDGED, result.message
    (case,) = result.cases
    return case


def test_the_sandbox_is_available():
    ok, message = judge_available()
    assert ok, message
    assert message == ""


def test_accepted(host):
    case = judge_one(DOUBLE, "21\n", "42\n", D(3))
    assert (case.verdict, case.points, case.max_points, case.detail) == (ACCEPTED, D(3), D(3), "")
    assert 0 < case.time_ms < 2000


def test_wrong_answer(host):
    case = judge_one(DOUBLE, "21\n", "43\n", D(3))
    assert (case.verdict, case.points) == (WRONG_ANSWER, D(0))
    assert case.detail == "Line 1: expected «43», got «42»"


def test_runtime_error_keeps_the_stderr_tail(host):
    code = "import sys\nsys.stderr.write('noise\\n' * 2000)\nraise ValueError('boom')\n"
    case = judge_one(code)
    assert case.verdict == RUNTIME_ERROR
    assert case.detail.endswith("ValueError: boom") and len(case.detail) <= judge.DETAIL_MAX_CHARS


def test_busy_loop_is_a_time_limit(host):
    started = time.monotonic()
    case = judge_one("while True:\n    pass\n")
    assert case.verdict == TIME_LIMIT
    assert time.monotonic() - started < 5


def test_sleeping_forever_is_stopped_at_wall_time(host):
    case = judge_one("import time\ntime.sleep(3600)\n")
    assert case.verdict == TIME_LIMIT
    assert 2400 <= case.time_ms < 4500  # 3 × 500 ms + 1 s
    assert "wall-clock" in case.detail


def test_allocating_without_end_is_a_memory_limit(host):
    case = judge_one("chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 20))\n")
    assert case.verdict == MEMORY_LIMIT
    assert "MemoryError" in case.detail


FORK_BOMB = """\
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
SPAWNER = """\
import subprocess, sys
while True:
    try:
        subprocess.Popen([sys.executable, "-S", "/judge/main.py"])
    except OSError:
        pass
"""


@pytest.mark.parametrize("code", [FORK_BOMB, SPAWNER, "import os\nwhile True:\n    os.fork()\n"],
                         ids=["fork", "spawn", "fork-until-it-fails"])
def test_fork_bombs_are_contained(host, code):
    case = judge_one(code)
    assert case.verdict in (RUNTIME_ERROR, TIME_LIMIT)
    assert case.time_ms < 4500


def test_the_process_limit_counts_the_sandbox_only(settings, host):
    # The program itself is one of them; the count is per sandbox (its own user namespace), not per host user.
    settings.JUDGE_MAX_PROCESSES = 8
    code = """\
import os, time
started = 0
try:
    while started < 100:
        if os.fork() == 0:
            time.sleep(3600)
        started += 1
except OSError:
    pass
print(started)
"""
    assert judge_one(code, expected="7").verdict == ACCEPTED


def test_a_process_left_in_the_background_goes_with_the_sandbox(host):
    code = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(3600)\nprint(42)\n"
    assert judge_one(code, expected="42").verdict == ACCEPTED


def test_printing_gigabytes_is_an_output_limit(host):
    started = time.monotonic()
    case = judge_one("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    assert case.verdict == OUTPUT_LIMIT
    assert time.monotonic() - started < 5


def test_a_huge_file_in_tmp_is_stopped(host):
    case = judge_one("with open('/tmp/big', 'wb') as f:\n    while True:\n        f.write(bytes(1 << 20))\n")
    assert case.verdict in (RUNTIME_ERROR, OUTPUT_LIMIT)
    assert "File too large" in case.detail or "No space" in case.detail or case.verdict == OUTPUT_LIMIT


def test_no_network(host):
    # Besides PostgreSQL's port and addresses outside, a port that certainly listens on the host's loopback.
    listener = socket.create_server(("127.0.0.1", 0))
    addresses = [("127.0.0.1", listener.getsockname()[1]), ("127.0.0.1", 5432), ("1.1.1.1", 80), ("8.8.8.8", 53)]
    code = f"""\
import socket
for address in {addresses!r}:
    try:
        socket.create_connection(address, timeout=1).close()
        print("connected")
    except OSError:
        print("failed")
"""
    with listener:
        case = judge_one(code, expected="failed\n" * len(addresses))
    assert (case.verdict, case.detail) == (ACCEPTED, "")


def test_the_project_and_the_host_are_invisible(host):
    paths = [str(Path(django_settings.BASE_DIR)), str(Path(__file__)), "/work", "/root", "/var/run/postgresql",
             "/run/postgresql", "/var", "/home", "/usr/local/etc"]
    code = f"""\
import os
print(*[os.path.exists(path) for path in {paths!r}])
try:
    open("/usr/lib/x", "w")
    print("wrote to /usr")
except OSError:
    print("read-only")
print(os.path.exists("/usr/bin/python3"), os.getcwd())
"""
    case = judge_one(code, expected=" ".join(["False"] * len(paths)) + "\nread-only\nTrue /tmp\n")
    assert (case.verdict, case.detail) == (ACCEPTED, "")


def test_points_are_summed_over_accepted_cases(host):
    tests = [("1\n", "2\n", D("2.5")), ("10\n", "20\n", D(3)), ("5\n", "11\n", D(4)), ("x\n", "", D(1))]
    result = program_judge(code=DOUBLE, tests=tests, **LIMITS)
    assert result.status == JUDGED and result.message == ""
    assert [case.verdict for case in result.cases] == [ACCEPTED, ACCEPTED, WRONG_ANSWER, RUNTIME_ERROR]
    assert [case.index for case in result.cases] == [0, 1, 2, 3]
    assert [case.points for case in result.cases] == [D("2.5"), D(3), D(0), D(0)]
    assert result.points == D("5.5")
    assert JudgeResult.from_json(result.as_json()) == result


def test_default_limits_come_from_settings(settings, host):
    settings.JUDGE_DEFAULT_TIME_MS = 200
    started = time.monotonic()
    result = program_judge(code="while True:\n    pass\n", tests=[("", "", D(1))])
    assert result.cases[0].verdict == TIME_LIMIT
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("bwrap", ["/nonexistent/bwrap", "/bin/false"])
def test_a_broken_sandbox_is_unavailable_never_passed(settings, bwrap):
    settings.JUDGE_BWRAP = bwrap
    result = program_judge(code=DOUBLE, tests=[("21\n", "42\n", D(1))], **LIMITS)
    assert result.status == UNAVAILABLE
    assert (result.points, result.cases) == (D(0), ())
    assert bwrap in result.message and "unavailable" in result.message
    ok, message = judge_available()
    assert not ok and bwrap in message


def test_a_missing_python_is_unavailable(settings):
    settings.JUDGE_PYTHON = "/usr/bin/no-such-python"
    result = program_judge(code=DOUBLE, tests=[("21\n", "42\n", D(1))], **LIMITS)
    assert (result.status, result.points, result.cases) == (UNAVAILABLE, D(0), ())
    assert "no-such-python" in result.message


def test_an_unsupported_language_is_unavailable():
    result = program_judge(code="int main() { return 0; }", tests=[("", "", D(1))], language="c")
    assert (result.status, result.points, result.cases) == (UNAVAILABLE, D(0), ())
    assert "“c”" in result.message and "Python 3" in result.message


def test_no_tests_no_points():
    assert program_judge(code=DOUBLE, tests=[]) == JudgeResult(status=JUDGED, cases=(), points=D(0), message="")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches to the judge's user")
def test_the_sandbox_does_not_run_as_root():
    # RLIMIT_NPROC means nothing to root: the fork-bomb tests rely on this.
    assert judge._as_judge_user() == {"user": django_settings.JUDGE_UID, "group": django_settings.JUDGE_UID,
                                      "extra_groups": []}
    assert django_settings.JUDGE_UID != 0
