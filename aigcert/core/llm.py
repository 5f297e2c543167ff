"""An optional language model behind any OpenAI-compatible chat-completions endpoint (settings LLM_*).

Standard library HTTP (http.client rather than urllib: it hands us the socket, so one deadline can bound the
whole call, not just each read). Every call has a timeout, LLM_TIMEOUT_SECONDS unless the caller passes one, and
every failure is an LLMError with a code callers branch on:

- ``not_configured``: no base URL or model; callers fall back to working without a model;
- ``timeout``: the deadline passed (connecting, waiting for the reply, or between pieces of a stream);
- ``unavailable``: refused connection, DNS failure, HTTP error status;
- ``bad_reply``: the server answered, but not with what the protocol (or the caller's schema) promises.

The API key goes into the Authorization header and nowhere else: not into messages, logs or exceptions (an error
body that echoes it back is redacted).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pydantic
from django.conf import settings
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

T = TypeVar("T", bound=pydantic.BaseModel)

# A chat reply is a few KB; anything far larger is a misbehaving server, not an answer worth holding in memory.
MAX_REPLY_BYTES = 4 << 20
MAX_SSE_LINE_BYTES = 1 << 20
ERROR_SNIPPET_CHARS = 200


class LLMError(Exception):
    """A model call that did not produce a usable reply. ``code`` is one of CODES; ``str()`` is for people."""

    CODES = ("not_configured", "timeout", "unavailable", "bad_reply")

    def __init__(self, code: str, message: str = "", *, status: int | None = None) -> None:
        assert code in self.CODES, code
        self.code = code
        self.status = status  # the HTTP status when the server refused, for logs and the JSON-mode fallback
        self.message = str(message) or code
        super().__init__(self.message)


def llm_configured() -> bool:
    """Whether a model is set up: a base URL and a model name (a key is optional: local servers need none)."""
    return bool(settings.LLM_BASE_URL and settings.LLM_MODEL)


def llm_chat(*, messages: list[dict], max_tokens: int = 800, temperature: float = 0.0, json_mode: bool = False,
             timeout: float | None = None) -> str:
    """One chat completion; returns choices[0].message.content. Raises LLMError."""
    body = _request_body(messages, max_tokens=max_tokens, temperature=temperature, stream=False)
    if json_mode:
        body["response_format"] = {"type": "json_object"}
    deadline = _deadline(timeout)
    try:
        data = _post_json(body, deadline)
    except LLMError as exc:
        # Some OpenAI-compatible servers reject response_format outright. The caller's prompt asks for JSON anyway
        # and llm_chat_json tolerates fences, so one retry without it is cheaper than a failed marking run.
        if not (json_mode and exc.status == 400):
            raise
        del body["response_format"]
        data = _post_json(body, deadline)
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _bad_reply(_("The language model's reply has no message content.")) from None
    if not isinstance(content, str):
        raise _bad_reply(_("The language model's reply has no message content."))
    return content


_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def extract_json_text(text: str) -> str:
    """The JSON document in a reply: as is, inside a ```json fence, or between the first { and the last }."""
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        return fenced.group(1).strip()
    if not text.startswith(("{", "[")):
        # Chatty models add a sentence before or after the object despite JSON mode.
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            return text[start:end + 1]
    return text


def llm_chat_json(*, messages: list[dict], model: type[T], max_tokens: int = 800,
                  timeout: float | None = None) -> T:
    """A chat completion in JSON mode, validated against a pydantic model. Raises LLMError (bad_reply on a reply
    that does not validate)."""
    text = llm_chat(messages=messages, max_tokens=max_tokens, temperature=0.0, json_mode=True, timeout=timeout)
    try:
        return model.model_validate_json(extract_json_text(text))
    except pydantic.ValidationError as exc:
        # Field paths only: the values may be long and are the model's, not ours to echo into logs.
        where = ", ".join(".".join(str(p) for p in e["loc"]) or "(root)" for e in exc.errors()[:5])
        log.warning("LLM reply failed validation against %s at %s", model.__name__, where)
        raise _bad_reply(_("The language model's reply does not have the expected structure.")) from None


def llm_stream(*, messages: list[dict], max_tokens: int = 800, temperature: float = 0.3,
               timeout: float | None = None) -> Iterator[str]:
    """A streamed chat completion: yields the content pieces as they arrive.

    Connects and checks the response status before returning, so not_configured / unavailable / timeout before
    the first byte raise here, where a view can still answer with an error page; a stream that stalls or breaks off
    raises LLMError (timeout / bad_reply) from the iteration. The timeout bounds the whole stream. Iterate to the end
    or call ``close()`` on the result to release the connection."""
    body = _request_body(messages, max_tokens=max_tokens, temperature=temperature, stream=True)
    deadline = _deadline(timeout)
    conn, sock, response = _open(body, deadline, accept="text/event-stream")
    return _Stream(conn, sock, response, deadline)


# -- the HTTP exchange ----------------------------------------------------------------------------------------


def _request_body(messages: list[dict], *, max_tokens: int, temperature: float, stream: bool) -> dict[str, Any]:
    if not llm_configured():
        raise LLMError("not_configured", _("No language model is configured (LLM_BASE_URL and LLM_MODEL)."))
    return {"model": settings.LLM_MODEL, "messages": messages, "max_tokens": max_tokens,
            "temperature": temperature, "stream": stream}


def _deadline(timeout: float | None) -> float:
    seconds = settings.LLM_TIMEOUT_SECONDS if timeout is None else timeout
    # A zero or negative setting must not turn into "no timeout" (socket semantics for None/0 differ).
    return time.monotonic() + max(float(seconds or 0), 0.05)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _timeout()
    return left


def _endpoint() -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of the chat-completions URL; the base URL already ends in /v1."""
    parts = urlsplit(settings.LLM_BASE_URL.rstrip("/") + "/chat/completions")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LLMError("not_configured", _("LLM_BASE_URL must be an http:// or https:// URL."))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def _where() -> str:
    # Host and port only: a base URL may carry credentials in its userinfo or query.
    try:
        scheme, host, port, _path = _endpoint()
    except LLMError:
        return "?"
    return f"{scheme}://{host}:{port}"


def _open(body: dict, deadline: float, *,
          accept: str) -> tuple[http.client.HTTPConnection, socket.socket, http.client.HTTPResponse]:
    """Sends the request and reads the status line and headers; returns (connection, socket, response)."""
    scheme, host, port, path = _endpoint()
    payload = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Accept": accept, "User-Agent": "aigcert"}
    if settings.LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.LLM_API_KEY}"
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = cls(host, port, timeout=_remaining(deadline))
    opened = False
    try:
        conn.connect()
        # Keep our own reference: HTTPConnection drops .sock once a response that closes the connection begins.
        sock = conn.sock
        sock.settimeout(_remaining(deadline))
        conn.request("POST", path, body=payload, headers=headers)
        sock.settimeout(_remaining(deadline))
        response = conn.getresponse()
        # Redirects included: http.client follows none, and one means the base URL is wrong.
        if response.status >= 300:
            try:
                detail = _error_detail(_read_capped(response, sock, deadline, limit=16 << 10))
            except LLMError:
                detail = ""  # a huge or stalled error body: the status says enough
            log.warning("LLM request to %s refused: HTTP %s %s", _where(), response.status, detail)
            raise LLMError("unavailable", _("The language model service answered with HTTP %(status)s%(detail)s.")
                           % {"status": response.status, "detail": f": {detail}" if detail else ""},
                           status=response.status)
        opened = True
        return conn, sock, response
    except LLMError:
        raise
    except Exception as exc:
        raise _map_exception(exc) from None
    finally:
        if not opened:
            conn.close()


def _post_json(body: dict, deadline: float) -> Any:
    conn, sock, response = _open(body, deadline, accept="application/json")
    try:
        raw = _read_capped(response, sock, deadline, limit=MAX_REPLY_BYTES)
    except LLMError:
        raise
    except Exception as exc:
        raise _map_body_exception(exc) from None
    finally:
        conn.close()
    try:
        return json.loads(raw)
    except ValueError:
        log.warning("LLM reply from %s is not JSON (%d bytes)", _where(), len(raw))
        raise _bad_reply(_("The language model service did not answer with JSON.")) from None


def _read_capped(response: http.client.HTTPResponse, sock: socket.socket, deadline: float, *, limit: int) -> bytes:
    """The response body, read in pieces so the deadline holds even against a server that trickles bytes."""
    chunks, size = [], 0
    while True:
        sock.settimeout(_remaining(deadline))
        piece = response.read1(65536)
        if not piece:
            return b"".join(chunks)
        chunks.append(piece)
        size += len(piece)
        if size > limit:
            raise _bad_reply(_("The language model's reply is too large."))


def _error_detail(raw: bytes) -> str:
    """The server's own error message, short and with the key blanked out (OpenAI echoes a wrong key back)."""
    try:
        data = json.loads(raw)
        message = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(message, dict):
            message = message.get("message") or ""
        text = str(message)
    except ValueError:
        text = raw.decode("utf-8", "replace")
    text = " ".join(text.split())[:ERROR_SNIPPET_CHARS]
    return _redact(text)


def _redact(text: str) -> str:
    key = settings.LLM_API_KEY
    if key:
        text = text.replace(key, "***")
        # Servers often echo a key partly masked ("sk-abc***xyz"): blank any long run sharing its start too.
        if len(key) >= 8:
            text = re.sub(re.escape(key[:6]) + r"\S*", "***", text)
    return text


def _map_exception(exc: Exception) -> LLMError:
    """Before a reply has begun: the service is slow, or not there."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, TimeoutError):
        return _timeout()
    if isinstance(exc, OSError | http.client.HTTPException):
        log.warning("LLM service at %s unreachable: %s", _where(), type(exc).__name__)
        return LLMError("unavailable", _("The language model service at %(where)s cannot be reached (%(error)s).")
                        % {"where": _where(), "error": type(exc).__name__})
    return _bad_reply(_("The language model call failed unexpectedly (%(error)s).") % {"error": type(exc).__name__})


def _map_body_exception(exc: Exception) -> LLMError:
    """Once a successful reply has begun, losing the connection means the reply broke off."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, TimeoutError):
        return _timeout()
    if isinstance(exc, OSError | http.client.HTTPException):
        log.warning("LLM reply from %s broke off: %s", _where(), type(exc).__name__)
        return _bad_reply(_("The language model's reply broke off."))
    return _bad_reply(_("The language model call failed unexpectedly (%(error)s).") % {"error": type(exc).__name__})


def _timeout() -> LLMError:
    log.warning("LLM request to %s timed out", _where())
    return LLMError("timeout", _("The language model did not answer in time."))


def _bad_reply(message: str) -> LLMError:
    return LLMError("bad_reply", message)


# -- server-sent events ---------------------------------------------------------------------------------------


class _Stream(Iterator[str]):
    """The content deltas of an SSE chat-completion stream ("data: {...}" events, ending with "data: [DONE]")."""

    def __init__(self, conn: http.client.HTTPConnection, sock: socket.socket,
                 response: http.client.HTTPResponse, deadline: float) -> None:
        self._conn, self._sock, self._response, self._deadline = conn, sock, response, deadline
        self._pieces = self._events()

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        self._pieces.close()
        self._conn.close()
        self._response.close()

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _events(self) -> Iterator[str]:
        finished = False  # a finish_reason arrived: closing without [DONE] after it is still a complete reply
        data_lines: list[str] = []
        try:
            while True:
                line = self._readline()
                if line is None:
                    if finished:
                        return
                    raise _bad_reply(_("The language model's reply broke off."))
                if line.startswith(":"):
                    continue  # an SSE comment (keep-alive)
                if line:
                    field, _sep, value = line.partition(":")
                    if field == "data":
                        data_lines.append(value[1:] if value.startswith(" ") else value)
                    continue
                if not data_lines:
                    continue
                data, data_lines = "\n".join(data_lines), []
                if data.strip() == "[DONE]":
                    return
                content, done = self._delta(data)
                finished = finished or done
                if content:
                    yield content
        except LLMError:
            raise
        except Exception as exc:
            raise _map_body_exception(exc) from None
        finally:
            self._conn.close()
            self._response.close()

    def _readline(self) -> str | None:
        """The next line without its ending; None at the end of the stream."""
        self._sock.settimeout(_remaining(self._deadline))
        raw = self._response.readline(MAX_SSE_LINE_BYTES)
        if not raw:
            return None
        if not raw.endswith(b"\n"):
            # A last line without its newline is a cut-off event, or one longer than any real chunk.
            raise _bad_reply(_("The language model's reply broke off."))
        return raw.rstrip(b"\r\n").decode("utf-8", "replace")

    @staticmethod
    def _delta(data: str) -> tuple[str, bool]:
        try:
            chunk = json.loads(data)
        except ValueError:
            raise _bad_reply(_("The language model's stream contains an event that is not JSON.")) from None
        if not isinstance(chunk, dict):
            raise _bad_reply(_("The language model's stream contains an event that is not JSON."))
        if "error" in chunk:
            detail = _error_detail(json.dumps(chunk).encode())
            raise LLMError("unavailable", _("The language model service reported an error: %(detail)s")
                           % {"detail": detail})
        choices = chunk.get("choices") or []
        if not choices:
            return "", False  # e.g. a final usage-only chunk
        choice = choices[0] if isinstance(choices[0], dict) else {}
        delta = choice.get("delta") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        if content is not None and not isinstance(content, str):
            raise _bad_reply(_("The language model's stream contains an event without text content."))
        return content or "", bool(choice.get("finish_reason"))
