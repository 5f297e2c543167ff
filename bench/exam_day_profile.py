"""Where the exam-day requests spend their time: cProfile and query counts of the start POST, the player page GET,
an autosave and a submit, in one process (Django's test client, the same middleware as the server), on a fresh
copy of the exam-day benchmark's template database.

    .venv/bin/python bench/exam_day_profile.py [--candidates 200] [--top 25]

The session started a minute ago and everyone is checked in (as `bench/exam_day.py --checkin setup` does); each
request kind (the waiting room with its sealed paper, the start that unseals it, a reload of the player, …) is run
for every candidate, profiled together, and printed with its CPU time per request and the
queries it made. Uses the database `bench_examday` (dropped and made again) and Redis DB 5, like the benchmark.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exam_day  # bench/exam_day.py


def wsgi_jar(application):
    """A client that calls the WSGI application with the environ a server builds: real CSRF checks (a token in the
    cookie and the header, as the pages send it), the session cookie, no test-client machinery."""
    import io as _io
    from types import SimpleNamespace

    from django.middleware.csrf import _get_new_csrf_string

    class Jar:
        def __init__(self, sessionid):
            self.cookies = {"sessionid": sessionid, "csrftoken": _get_new_csrf_string()}

        def request(self, method, path, body=b"", content_type="", **extra):
            environ = {
                "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
                "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "aigcert-bench/1.0 (exam_day.py)",
                "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "HTTP_X_CSRFTOKEN": self.cookies["csrftoken"], "wsgi.input": _io.BytesIO(body),
                "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": content_type, "wsgi.url_scheme": "http",
                "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": True,
                "wsgi.multiprocess": True, "wsgi.run_once": False, **extra,
            }
            seen = {}

            def start_response(status, headers, exc_info=None):
                seen["status"], seen["headers"] = int(status.split()[0]), headers
                for name, value in headers:  # a browser keeps what the server sets (the language cookie, say)
                    if name.lower() == "set-cookie":
                        key, _eq, rest = value.partition("=")
                        self.cookies[key] = rest.split(";", 1)[0]

            chunks = application(environ, start_response)
            try:
                content = b"".join(chunks)
            finally:
                getattr(chunks, "close", lambda: None)()
            return SimpleNamespace(status_code=seen["status"], content=content,
                                   json=lambda: json.loads(content))

        def get(self, path, **extra):
            return self.request("GET", path, **extra)

        def post(self, path, data=b"", content_type="application/octet-stream", **extra):
            return self.request("POST", path, data.encode() if isinstance(data, str) else data, content_type,
                                **extra)

    return Jar


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-profile", action="store_true", help="CPU per request without cProfile's overhead")
    parser.add_argument("--only", default="", help="comma-separated request kinds to print profiles of")
    parser.add_argument("--via", choices=["wsgi", "client"], default="wsgi",
                        help="call the WSGI application as a server would (default; CSRF checked), or go through "
                             "Django's test client (its own request building and signals add to every request)")
    args = parser.parse_args()
    ns = argparse.Namespace(pool_min=1, pool_max=2, grace=15, log_level="WARNING")
    if not exam_day.template_ready():
        raise SystemExit("run bench/exam_day.py once first (it builds the template database)")
    exam_day.RUNNING_FLAG.write_text(f"bench/exam_day_profile.py pid {os.getpid()}\n")
    try:
        exam_day.admin_sql(f"DROP DATABASE IF EXISTS {exam_day.DB} WITH (FORCE)",
                           f"CREATE DATABASE {exam_day.DB} TEMPLATE {exam_day.TEMPLATE}")
        os.environ.update(exam_day.base_env(ns, database=exam_day.DB, pooled=args.via == "wsgi"))
        os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
        os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from aigcert.core.api import now

        setup = exam_day.populate(args.candidates, start_at=lambda: now() - timedelta(seconds=60), duration=30,
                                  checkin_in_setup=True)
        # One client (one handler: a new handler loads the middleware again, and WhiteNoise's scan of the static
        # files would be most of a first request); each candidate has its own cookie jar.
        from http.cookies import SimpleCookie

        if args.via == "wsgi":
            from aigcert.wsgi import application

            Jar = wsgi_jar(application)
        else:
            shared = Client(HTTP_USER_AGENT="aigcert-bench/1.0 (exam_day.py)", REMOTE_ADDR="127.0.0.1")

            class Jar:
                def __init__(self, sessionid):
                    self.cookies = SimpleCookie()
                    self.cookies["sessionid"] = sessionid

                def __getattr__(self, name):
                    shared.cookies = self.cookies
                    return getattr(shared, name)

        clients = [Jar(info["sessionid"]) for info in setup["clients"]]
        session = setup["session"]
        # Warm up: the first request of a process loads URLconf, templates and translations.
        clients[0].get(f"/exam/session/{session}/")
        clients[0].get(f"/exam/session/{session}/status/")
        state: dict[int, dict] = {}
        rng = random.Random(6)

        def start(i, c):
            r = c.post(f"/exam/session/{session}/start/", HTTP_ACCEPT="application/json")
            assert r.status_code == 200, r.content[:300]
            state[i] = {"url": r.json()["url"]}

        def page(i, c):
            r = c.get(state[i]["url"])
            assert r.status_code == 200, r.status_code
            body = r.content
            config = json.loads(re.search(rb'<script id="exam-config" type="application/json">(.*?)</script>',
                                          body, re.S).group(1))
            state[i].update(config=config, items=exam_day.player_items(body), seq=config["seqBase"])

        def entries(i, k):
            s = state[i]
            out = []
            for slot in rng.sample(sorted(s["items"]), k):
                kind, options = s["items"][slot]
                s["seq"] = max(s["seq"] + 1, int(time.time() * 1000))
                out.append({"slot": slot, "value": exam_day.random_value(kind, options, rng), "flagged": False,
                            "seq": s["seq"]})
            return out

        def save(i, c):
            s = state[i]
            body = {"device": s["config"]["device"], "responses": entries(i, rng.randint(1, 3))}
            r = c.post(s["config"]["saveUrl"], json.dumps(body), content_type="application/json")
            assert r.status_code == 200, r.content[:300]

        def submit(i, c):
            s = state[i]
            body = {"key": f"k{i}", "device": s["config"]["device"], "responses": entries(i, 2)}
            r = c.post(s["config"]["submitUrl"], json.dumps(body), content_type="application/json")
            assert r.status_code == 200 and r.json()["state"] == "submitted", r.content[:300]

        def room(i, c):
            r = c.get(f"/exam/session/{session}/")
            assert r.status_code == 200 and b"sealed-items-data" in r.content, r.status_code

        def waiting(i, c):
            r = c.get(f"/exam/session/{session}/status/")
            assert r.status_code == 200

        only = set(filter(None, args.only.split(",")))
        rows = []
        for name, fn in [("status poll", waiting), ("waiting room GET", room), ("start POST", start),
                         ("player page GET (a reload)", page),
                         ("autosave", save), ("submit", submit)]:
            profiler = cProfile.Profile()
            connection.queries_log.clear()  # a bounded deque (9,000): once full, a capture would see nothing
            with CaptureQueriesContext(connection) as queries:
                cpu0, wall0 = time.process_time(), time.perf_counter()
                if not args.no_profile:
                    profiler.enable()
                for i, c in enumerate(clients):
                    fn(i, c)
                profiler.disable()
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            statements = [q["sql"] for q in queries.captured_queries
                          if q["sql"].split()[0].upper() not in exam_day.TRANSACTION_CONTROL]
            rows.append((name, cpu / len(clients) * 1000, wall / len(clients) * 1000,
                         len(statements) / len(clients)))
            if not args.no_profile and (not only or name in only):
                out = io.StringIO()
                order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime: where the time itself goes
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                print(f"\n===== {name}: {len(clients)} requests =====")
                print(out.getvalue())
                kinds: dict[str, int] = {}
                for sql in statements:
                    key = re.sub(r"\s+", " ", sql)[:110]
                    kinds[key] = kinds.get(key, 0) + 1
                for sql, count in sorted(kinds.items(), key=lambda kv: -kv[1])[:12]:
                    print(f"  {count / len(clients):5.2f} × {sql}")
        label = "" if args.no_profile else ", profiled"
        print(f"\n| request | CPU per request (ms{label}) | wall per request (ms) | queries per request |")
        print("| --- | --- | --- | --- |")
        for name, cpu, wall, q in rows:
            print(f"| {name} | {cpu:.1f} | {wall:.1f} | {q:.1f} |")
        connection.close()
    finally:
        exam_day.RUNNING_FLAG.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
