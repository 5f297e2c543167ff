"""The `aigcert` console command: a thin wrapper over Django's management commands.

    aigcert run [--host H] [--port P] [--dev]   migrate, then serve the site and run the task worker
    aigcert demo                                 migrate, load the catalog, create demo logins
    aigcert worker                               run the background task worker
    aigcert load_catalog [PATH]                  load the program catalog data file
    aigcert <any manage.py command>              e.g. aigcert createsuperuser, aigcert shell
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

SETTINGS = "aigcert.settings"


def manage(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _wait_until_up(url: str, processes: list[subprocess.Popen], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (our own URL)
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


WEB_RESTART_AFTER = 10.0  # seconds a restarted web server must stay up before it may be restarted again


def _supervise(processes: list[subprocess.Popen], web_cmd: list[str], stopping: threading.Event) -> None:
    """Keep the web server up until another process ends. granian respawns a killed worker itself, but exits when
    workers die again within seconds of a respawn (its crash-loop guard): start it again then, as a supervisor
    would, unless the new one cannot stay up either (a port taken, a broken setting)."""
    restarted_at = 0.0
    while not stopping.is_set() and all(p.poll() is None for p in processes[1:]):
        if processes[0].poll() is not None:
            if time.monotonic() - restarted_at < WEB_RESTART_AFTER:
                return
            print(f"The web server exited ({processes[0].returncode}); starting it again.", flush=True)
            processes[0] = subprocess.Popen(web_cmd)
            restarted_at = time.monotonic()
        time.sleep(0.5)


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aigcert run", description="Serve aigcert and run its task worker.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--dev", action="store_true", help="use Django's auto-reloading development server")
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    # Four threads a process: eight contended for the GIL and were slower at every exam-day load (docs/benchmarks.md).
    parser.add_argument("--web-threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
    parser.add_argument("--no-worker", action="store_true", help="do not start the background task worker")
    options = parser.parse_args(args)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    if not options.dev:
        call_command("collectstatic", interactive=False, verbosity=0)

    python = sys.executable
    if options.dev:
        web_cmd = [python, "-m", "aigcert", "runserver", f"{options.host}:{options.port}"]
    else:
        web_cmd = [python, "-m", "granian", "--interface", "wsgi", "aigcert.wsgi:application", "--host", options.host,
                   "--port", str(options.port), "--workers", str(options.web_workers), "--blocking-threads",
                   str(options.web_threads),
                   "--respawn-failed-workers", "--no-ws", "--access-log"]
    processes = [subprocess.Popen(web_cmd)]
    if not options.no_worker:
        processes.append(subprocess.Popen([python, "-m", "aigcert", "worker"]))
        processes.append(subprocess.Popen([python, "-m", "aigcert", "tick", "--every", "60"]))
        processes.append(subprocess.Popen([python, "-m", "aigcert", "finalize", "--every", "2"]))

    stopping = threading.Event()

    def stop(*_args):
        stopping.set()
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    url = f"http://{'127.0.0.1' if options.host in {'0.0.0.0', ''} else options.host}:{options.port}"  # noqa: S104
    try:
        if _wait_until_up(url, processes):
            from aigcert.accounts import api as accounts_api

            print(f"\naigcert is running at {url}/  (admin: {url}/admin/)", flush=True)
            logins = accounts_api.demo_logins()
            if logins:
                print(f"Demo logins (password for all: {logins[0].password}):")
                for login in logins:
                    print(f"  {login.role_label:<28} {login.login}")
            else:
                print("No demo data yet: run `aigcert demo` first.")
            print(f"Data directory: {settings.DATA_DIR}. Press Ctrl+C to stop.\n", flush=True)
        _supervise(processes, web_cmd, stopping)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return max((p.returncode or 0) for p in processes)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "aigcert"
    command = argv[1] if len(argv) > 1 else "help"
    if command == "run":
        sys.exit(run(argv[2:]))
    if command == "worker":
        argv = [argv[0], "db_worker", *argv[2:]]
    manage(argv)


if __name__ == "__main__":
    main()
