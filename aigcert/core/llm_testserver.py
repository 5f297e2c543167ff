"""A local OpenAI-compatible chat-completions server for tests: real HTTP on 127.0.0.1, an ephemeral port.

Tests exercise aigcert.core.llm over the wire, not through mocks: the same request bodies, headers, status codes,
chunked server-sent events and broken connections a real endpoint produces. Scriptable per test:

    with LLMTestServer(api_key="sk-test") as server:
        server.reply = lambda request: "the content"      # or a list of pieces, streamed one per event
        server.mode = "slow"          # or "garbage", "error", "bad_stream", "no_choices"; None is normal
        ...
        server.requests[-1]["messages"]                     # every request body received, in order

The `llm_server` fixture in aigcert/conftest.py starts one and points the LLM_* settings at it.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict], "str | Sequence[str]"]
MODES = (None, "slow", "garbage", "error", "bad_stream", "no_choices")


def default_reply(request: dict) -> str:
    return "Hello from the test model."


def split_pieces(text: str) -> list[str]:
    """A reply as a model streams it: words with their following space, and each CJK character on its own."""
    return re.findall(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+\s*|\s+", text) or [""]


class LLMTestServer:
    """A threaded http.server in a background thread. Not for production: no limits, records everything."""

    def __init__(self, *, api_key: str = "", model: str = "test-model", reply: Reply | None = None,
                 slow_seconds: float = 10.0) -> None:
        self.api_key = api_key
        self.model = model
        self.reply: Reply = reply or default_reply
        self.mode: str | None = None
        self.slow_seconds = slow_seconds
        self.reject_json_mode = False  # answer 400 to response_format, as some compatible servers do
        self.requests: list[Any] = []          # request bodies (parsed JSON; the raw text when it is not JSON)
        self.headers: list[dict[str, str]] = []  # the matching request headers
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start the server first"
        return self._httpd.server_address[1]

    def start(self) -> LLMTestServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._stopping.clear()
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="llm-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in "slow" mode so none outlives the test
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> LLMTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what the tests look at --

    @property
    def last_request(self) -> Any:
        with self._lock:
            return self.requests[-1] if self.requests else None

    def prompt_text(self, index: int = -1) -> str:
        """All message contents of one recorded request, joined: what the model was shown."""
        body = self.requests[index]
        return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))

    def _record(self, body: Any, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    owner: LLMTestServer
    protocol_version = "HTTP/1.1"  # chunked transfer for streams, as real endpoints send them

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            return self._json(404, _error("Not found", "invalid_request_error"))
        if not self._authorised():
            return None
        return self._json(200, {"object": "list", "data": [
            {"id": self.owner.model, "object": "model", "created": 0, "owned_by": "aigcert-tests"}]})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        self.owner._record(body, dict(self.headers.items()))
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._json(404, _error("Not found", "invalid_request_error"))
        if not self._authorised():
            return None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return self._json(400, _error("'messages' is required", "invalid_request_error"))
        if self.owner.reject_json_mode and "response_format" in body:
            return self._json(400, _error("response_format is not supported", "invalid_request_error"))
        mode = self.owner.mode
        if mode == "slow":
            self.owner._sleep(self.owner.slow_seconds)
            if self.owner._stopping.is_set():
                self.close_connection = True
                return None
        if mode == "error":
            return self._json(500, _error("The server had an error while processing your request.", "server_error"))
        try:
            reply = self.owner.reply(body)
        except Exception as exc:  # a broken reply script shows up as a server error, not a hung test
            return self._json(500, _error(f"reply function failed: {exc!r}", "server_error"))
        pieces = [reply] if isinstance(reply, str) else list(reply)
        if body.get("stream"):
            return self._stream(body, split_pieces(reply) if isinstance(reply, str) else pieces, mode)
        if mode == "garbage":
            return self._send(200, b"<html><body>502 Bad Gateway (not JSON)</body></html>", "text/html")
        if mode == "no_choices":
            return self._json(200, {"id": "chatcmpl-empty", "object": "chat.completion", "choices": []})
        return self._json(200, {
            "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", self.owner.model),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(pieces)},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(raw) // 4, "completion_tokens": sum(len(p) for p in pieces) // 4,
                      "total_tokens": (len(raw) + sum(len(p) for p in pieces)) // 4},
        })

    # -- helpers --

    def _authorised(self) -> bool:
        key = self.owner.api_key
        if not key:
            return True
        sent = self.headers.get("Authorization", "")
        if sent == f"Bearer {key}":
            return True
        # OpenAI echoes the key it got back in the message; the client must not pass that on unredacted.
        given = sent.removeprefix("Bearer ") or "(none)"
        self._json(401, _error(f"Incorrect API key provided: {given}.", "invalid_request_error",
                               code="invalid_api_key"))
        return False

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self, body: dict, pieces: list[str], mode: str | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        ident, created, model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), body.get("model", self.owner.model)

        def chunk(delta: dict, finish: str | None = None) -> dict:
            return {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        if mode == "garbage":
            self._event("this is not json")
            self._chunk(b"")
            return None
        self._event(json.dumps(chunk({"role": "assistant", "content": ""})))
        for number, piece in enumerate(pieces):
            if mode == "bad_stream" and number == 2:
                # Half an event, then the connection drops: no terminating chunk, no [DONE].
                self._chunk(b'data: {"id": "' + ident.encode())
                self.close_connection = True
                return None
            self._event(json.dumps(chunk({"content": piece}), ensure_ascii=False))
        if mode == "bad_stream":
            self.close_connection = True
            return None
        self._event(json.dumps(chunk({}, "stop")))
        self._event("[DONE]")
        self._chunk(b"")

    def _event(self, data: str) -> None:
        self._chunk(f"data: {data}\n\n".encode())

    def _chunk(self, payload: bytes) -> None:
        self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
        self.wfile.flush()


def _error(message: str, kind: str, *, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
