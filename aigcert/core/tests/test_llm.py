"""The language-model client against a real OpenAI-compatible server on 127.0.0.1 (aigcert/core/llm_testserver.py):
the wire format, the deadline, and every failure mapped to an LLMError code without leaking the key."""

import json
import socket
import time

import pydantic
import pytest

from aigcert.core.api import LLMError, llm_chat, llm_chat_json, llm_configured, llm_stream
from aigcert.core.llm import extract_json_text
from aigcert.core.llm_testserver import LLMTestServer, split_pieces

HELLO = [{"role": "user", "content": "Say hello."}]


class Verdict(pydantic.BaseModel):
    score: int
    reasons: list[str]


def test_a_plain_reply_is_the_message_content(llm_server):
    llm_server.reply = lambda request: "你好，world"
    assert llm_chat(messages=HELLO, max_tokens=50) == "你好，world"
    body = llm_server.last_request
    assert body["model"] == "test-model"
    assert body["messages"] == HELLO
    assert body["max_tokens"] == 50
    assert body["temperature"] == 0.0
    assert body["stream"] is False
    assert "response_format" not in body


def test_the_bearer_key_is_sent(llm_server):
    llm_chat(messages=HELLO)
    assert llm_server.headers[-1]["Authorization"] == f"Bearer {llm_server.api_key}"


def test_no_key_means_no_authorization_header(llm_server, settings):
    llm_server.api_key = ""
    settings.LLM_API_KEY = ""
    llm_chat(messages=HELLO)
    assert "Authorization" not in llm_server.headers[-1]


def test_a_wrong_key_is_unavailable_and_never_echoed(llm_server, settings, caplog):
    # The server echoes the key it received, as OpenAI does; the client must not pass it on.
    settings.LLM_API_KEY = "sk-wrong-key-that-must-stay-secret"
    with pytest.raises(LLMError) as caught:
        llm_chat(messages=HELLO)
    assert caught.value.code == "unavailable"
    assert caught.value.status == 401
    assert "401" in str(caught.value)
    assert "sk-wrong-key-that-must-stay-secret" not in str(caught.value)
    assert "must-stay-secret" not in caplog.text
    assert "Incorrect API key" in str(caught.value)  # the server's own reason survives the redaction


def test_json_mode_asks_for_a_json_object_and_validates(llm_server):
    llm_server.reply = lambda request: json.dumps({"score": 3, "reasons": ["清楚", "complete"]})
    verdict = llm_chat_json(messages=HELLO, model=Verdict)
    assert verdict == Verdict(score=3, reasons=["清楚", "complete"])
    assert llm_server.last_request["response_format"] == {"type": "json_object"}
    assert llm_chat(messages=HELLO, json_mode=True).startswith("{")


def test_a_reply_in_a_json_fence_is_accepted(llm_server):
    llm_server.reply = lambda request: '```json\n{"score": 2, "reasons": []}\n```'
    assert llm_chat_json(messages=HELLO, model=Verdict) == Verdict(score=2, reasons=[])


def test_a_reply_that_does_not_validate_is_a_bad_reply(llm_server):
    llm_server.reply = lambda request: '{"score": "many"}'
    with pytest.raises(LLMError) as caught:
        llm_chat_json(messages=HELLO, model=Verdict)
    assert caught.value.code == "bad_reply"
    llm_server.reply = lambda request: "I'd rather not."
    with pytest.raises(LLMError) as caught:
        llm_chat_json(messages=HELLO, model=Verdict)
    assert caught.value.code == "bad_reply"


def test_a_server_without_json_mode_is_retried_without_it(llm_server):
    llm_server.reject_json_mode = True
    llm_server.reply = lambda request: 'Here you are: {"score": 1, "reasons": ["x"]}'
    assert llm_chat_json(messages=HELLO, model=Verdict) == Verdict(score=1, reasons=["x"])
    assert "response_format" in llm_server.requests[-2]
    assert "response_format" not in llm_server.requests[-1]


@pytest.mark.parametrize(("text", "expected"), [
    ('{"a": 1}', '{"a": 1}'),
    ('```json\n{"a": 1}\n```', '{"a": 1}'),
    ('```\n{"a": 1}\n```\n', '{"a": 1}'),
    ('Sure! {"a": {"b": 2}} Hope this helps.', '{"a": {"b": 2}}'),
])
def test_extract_json_text(text, expected):
    assert extract_json_text(text) == expected


def test_streaming_yields_the_pieces_in_order(llm_server):
    pieces = ["第一段", "，然后", " second", " piece", "。"]
    llm_server.reply = lambda request: pieces
    stream = llm_stream(messages=HELLO, max_tokens=30)
    assert list(stream) == pieces
    body = llm_server.last_request
    assert body["stream"] is True
    assert body["temperature"] == 0.3
    assert llm_server.headers[-1]["Authorization"] == f"Bearer {llm_server.api_key}"


def test_a_streamed_string_arrives_piece_by_piece(llm_server):
    llm_server.reply = lambda request: "Prompts need context. 提示词需要上下文。"
    received = list(llm_stream(messages=HELLO))
    assert len(received) > 3
    assert "".join(received) == "Prompts need context. 提示词需要上下文。"
    assert split_pieces("a b") == ["a ", "b"]


def test_a_stream_that_breaks_off_is_an_error(llm_server):
    llm_server.mode = "bad_stream"
    llm_server.reply = lambda request: ["one", "two", "three", "four"]
    received = []
    with pytest.raises(LLMError) as caught:
        for piece in llm_stream(messages=HELLO):
            received.append(piece)
    assert caught.value.code == "bad_reply"
    assert received == ["one", "two"]


def test_a_stream_of_garbage_is_a_bad_reply(llm_server):
    llm_server.mode = "garbage"
    with pytest.raises(LLMError) as caught:
        list(llm_stream(messages=HELLO))
    assert caught.value.code == "bad_reply"


def test_a_stream_refused_up_front_raises_before_iteration(llm_server):
    llm_server.mode = "error"
    with pytest.raises(LLMError) as caught:
        llm_stream(messages=HELLO)
    assert caught.value.code == "unavailable"


def test_a_slow_server_times_out_within_the_deadline(llm_server):
    llm_server.mode = "slow"
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        llm_chat(messages=HELLO, timeout=0.5)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 1.5


def test_the_settings_timeout_applies_by_default(llm_server, settings):
    settings.LLM_TIMEOUT_SECONDS = 0.4
    llm_server.mode = "slow"
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        llm_chat(messages=HELLO)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 1.4


def test_a_slow_stream_times_out(llm_server):
    llm_server.mode = "slow"
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        list(llm_stream(messages=HELLO, timeout=0.5))
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 1.5


def test_a_server_that_is_down_is_unavailable(settings):
    # A port that was free a moment ago: nothing listens, the connection is refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.LLM_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.LLM_MODEL = "test-model"
    settings.LLM_API_KEY = "sk-down-server-secret"
    for call in (lambda: llm_chat(messages=HELLO, timeout=2), lambda: llm_stream(messages=HELLO, timeout=2)):
        with pytest.raises(LLMError) as caught:
            call()
        assert caught.value.code == "unavailable"
        assert "sk-down-server-secret" not in str(caught.value)


def test_an_http_500_is_unavailable(llm_server, caplog):
    llm_server.mode = "error"
    with pytest.raises(LLMError) as caught:
        llm_chat(messages=HELLO)
    assert caught.value.code == "unavailable"
    assert caught.value.status == 500
    assert llm_server.api_key not in str(caught.value)
    assert llm_server.api_key not in caplog.text


def test_garbage_is_a_bad_reply(llm_server):
    llm_server.mode = "garbage"
    with pytest.raises(LLMError) as caught:
        llm_chat(messages=HELLO)
    assert caught.value.code == "bad_reply"
    assert str(caught.value)


def test_json_without_the_expected_fields_is_a_bad_reply(llm_server):
    llm_server.mode = "no_choices"
    with pytest.raises(LLMError) as caught:
        llm_chat(messages=HELLO)
    assert caught.value.code == "bad_reply"


def test_a_wrong_base_url_is_unavailable(llm_server, settings):
    settings.LLM_BASE_URL = llm_server.url  # without /v1: the server answers 404
    with pytest.raises(LLMError) as caught:
        llm_chat(messages=HELLO)
    assert caught.value.code == "unavailable"
    assert caught.value.status == 404


def test_the_models_endpoint_lists_the_model(llm_server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", llm_server.port, timeout=2)
    conn.request("GET", "/v1/models", headers={"Authorization": f"Bearer {llm_server.api_key}"})
    data = json.loads(conn.getresponse().read())
    conn.close()
    assert [m["id"] for m in data["data"]] == ["test-model"]


@pytest.mark.parametrize(("base_url", "model"), [("", "test-model"), ("http://127.0.0.1:9/v1", ""), ("", "")])
def test_not_configured(settings, base_url, model):
    settings.LLM_BASE_URL = base_url
    settings.LLM_MODEL = model
    assert not llm_configured()
    for call in (lambda: llm_chat(messages=HELLO), lambda: llm_chat_json(messages=HELLO, model=Verdict),
                 lambda: llm_stream(messages=HELLO)):
        with pytest.raises(LLMError) as caught:
            call()
        assert caught.value.code == "not_configured"
        assert "LLM_BASE_URL" in str(caught.value)


def test_configured(llm_server):
    assert llm_configured()


def test_a_base_url_that_is_not_http_is_not_configured(settings):
    settings.LLM_BASE_URL = "ftp://example.invalid/v1"
    settings.LLM_MODEL = "m"
    with pytest.raises(LLMError) as caught:
        llm_chat(messages=HELLO)
    assert caught.value.code == "not_configured"


def test_the_server_stops_promptly_with_a_slow_request_in_flight():
    server = LLMTestServer(slow_seconds=30).start()
    server.mode = "slow"
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=2)
    payload = json.dumps({"messages": []}).encode()
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
    time.sleep(0.1)
    started = time.monotonic()
    server.stop()
    sock.close()
    assert time.monotonic() - started < 2
