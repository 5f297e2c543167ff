"""README command 1, minus the install: `aigcert demo` then `aigcert run` on SQLite, over real HTTP."""

import contextlib
import http.cookiejar
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sqlite_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env["AIGCERT_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_demo_then_run_serves_the_site_and_the_printed_logins_work(sqlite_env):
    demo = subprocess.run([sys.executable, "-m", "aigcert", "demo"], env=sqlite_env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert demo.returncode == 0, demo.stderr
    assert "13800000001" in demo.stdout
    # A newcomer who runs it again straight away (same minute: the demo's sessions start on the minute) resets
    # the logins and adds nothing twice.
    again = subprocess.run([sys.executable, "-m", "aigcert", "demo"], env=sqlite_env, capture_output=True,
                           text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert "0 exam sessions added" in again.stdout and "13800000001" in again.stdout

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "aigcert", "run", "--port", str(port), "--web-workers", "1"],
                              env=sqlite_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        # A reader thread, so a server that goes quiet can't block the test past its deadline.
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()
        printed = ""
        deadline = time.monotonic() + 120
        while "Press Ctrl+C" not in printed and time.monotonic() < deadline and server.poll() is None:
            with contextlib.suppress(queue.Empty):
                printed += lines.get(timeout=1)
        url = f"http://127.0.0.1:{port}"
        assert f"aigcert is running at {url}/" in printed, printed
        password = re.search(r"password for all: (\S+)\)", printed).group(1)
        login = re.search(r"(1380000000\d)", printed).group(1)

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{url}/programs/aigc-general/", timeout=10).read().decode()
        assert "¥798" in page
        css = re.search(r'href="(/static/aigcert/site\.[0-9a-f]+\.css)"', page)
        assert css, "static files are collected and fingerprinted"
        assert opener.open(url + css.group(1), timeout=10).status == 200

        form = opener.open(f"{url}/accounts/login/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": login, "password": password})
        request = urllib.request.Request(f"{url}/accounts/login/", data=body.encode(),
                                         headers={"Referer": f"{url}/accounts/login/"})
        center = opener.open(request, timeout=10)
        assert center.geturl() == f"{url}/me/"
        assert "个人中心" in center.read().decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="needs a non-SQLite database")
def test_demo_refuses_a_real_database_unless_asked():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="non-SQLite"):
        call_command("demo")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(f"{url}/healthz", timeout=2).status == 200
    except OSError:
        return False


def test_run_starts_the_web_server_again_when_it_gives_up_after_a_crash_loop(sqlite_env):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "aigcert", "run", "--port", str(port), "--web-workers", "1",
                               "--no-worker"], env=sqlite_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()

    def wait_for(condition, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.2)
        return False

    def granian() -> int | None:
        return next((p for p in _children(server.pid) if "granian" in _cmdline(p)), None)

    try:
        assert wait_for(lambda: _answers(url), 120)
        first = granian()
        assert first is not None
        # The worker killed, respawned, and killed again at once: granian calls that a crash loop and exits.
        workers = _children(first)
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: set(_children(first)) - set(workers), 30)
        for pid in _children(first):
            os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: granian() not in (None, first), 30), "the web server was not started again"
        assert wait_for(lambda: _answers(url), 60)
        assert server.poll() is None
        printed = ""
        with contextlib.suppress(queue.Empty):
            while True:
                printed += lines.get_nowait()
        assert "starting it again" in printed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
