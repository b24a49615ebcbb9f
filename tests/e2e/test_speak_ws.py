"""WebSocket /v1/speak through the official SDK's speak socket, and raw frames for the protocol's edges."""

from __future__ import annotations

import io
import json
import wave

import pytest
from deepgram.speak.v1.types import SpeakV1Text
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests import audio
from tests.tts import LONG, PASSAGE, SHORT, decode


def collect(conn, until: str) -> tuple[bytes, list]:
    """Audio and messages from an SDK socket up to (and including) the first message of type `until`."""
    data, messages = bytearray(), []
    while True:
        msg = conn.recv()
        if isinstance(msg, bytes):
            data += msg
            continue
        messages.append(msg)
        if msg.type == until:
            return bytes(data), messages


def raw(server, query: str = "", **kw):
    return connect(
        f"{server.ws_url}/v1/speak{query}",
        additional_headers={"Authorization": f"Token {server.key}"},
        open_timeout=10,
        **kw,
    )


def test_sdk_speak_flush_round_trip(client):
    with client.speak.v1.connect(model="aura-2-thalia-en", encoding="linear16", sample_rate=16000) as conn:
        metadata = conn.recv()
        assert metadata.type == "Metadata" and metadata.model_name == "aura-2-thalia-en"
        assert metadata.request_id and metadata.model_uuid and metadata.model_version
        conn.send_text(SpeakV1Text(text=PASSAGE[:200]))
        conn.send_text(SpeakV1Text(text=PASSAGE[200:]))  # text accumulates until Flush
        conn.send_flush()
        first, messages = collect(conn, "Flushed")
        assert [(m.type, m.sequence_id) for m in messages] == [("Flushed", 0)]
        conn.send_text(SpeakV1Text(text=SHORT))
        conn.send_flush()
        second, messages = collect(conn, "Flushed")
        assert messages[-1].sequence_id == 1
        conn.send_close()
    # Raw linear16 at the asked rate, and it says the text.
    got = decode(first, "linear16", "none", 16000)
    assert got.duration > 15
    wav = io.BytesIO()
    with wave.open(wav, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000), w.writeframes(first)
    result = client.listen.v1.media.transcribe_file(request=wav.getvalue(), model="nova-3")
    assert audio.wer(PASSAGE, result.results.channels[0].alternatives[0].transcript) < 0.05
    assert 1.5 < decode(second, "linear16", "none", 16000).duration < 4.0


def test_clear_drops_audio_not_yet_sent(server, client):
    """Speak a long text, Clear once the first audio arrives: far less audio than the whole text makes."""
    sentences = LONG.split(". ")
    one = b"".join(client.speak.v1.audio.generate(text=sentences[0] + ".", encoding="mulaw", container="none"))
    full = len(one) / 8000 * len(sentences)  # seconds, near enough: the sentences differ by one number
    with client.speak.v1.connect(encoding="mulaw", sample_rate=8000) as conn:
        rid = conn.recv().request_id
        conn.send_text(SpeakV1Text(text=LONG))
        conn.send_flush()
        first = conn.recv()
        assert isinstance(first, bytes)
        conn.send_clear()
        rest, messages = collect(conn, "Cleared")
        assert [m.type for m in messages] == ["Cleared"]  # no Flushed: that flush's audio was dropped
        heard = (len(first) + len(rest)) / 8000  # mulaw: one byte per sample
        assert heard < full / 3, (heard, full)
        # The socket goes on: new text speaks, and nothing of the old text comes with it.
        conn.send_text(SpeakV1Text(text=SHORT))
        conn.send_flush()
        after, messages = collect(conn, "Flushed")
        assert 1.5 < len(after) / 8000 < 4.0
        conn.send_close()
    row = server.request_row(rid)
    assert (row.endpoint, row.method, row.code) == ("speak", "streaming", 200)
    assert row.characters == len(LONG) + len(SHORT) and row.duration < full / 2


def test_close_flushes_what_is_left_then_closes_normally(server):
    with raw(server, "?encoding=alaw&sample_rate=16000") as ws:
        assert json.loads(ws.recv())["type"] == "Metadata"
        ws.send(json.dumps({"type": "Speak", "text": SHORT}))
        ws.send(json.dumps({"type": "Close"}))
        frames = []
        with pytest.raises(ConnectionClosed):
            while True:
                frames.append(ws.recv())
        assert ws.close_code == 1000
    data = b"".join(f for f in frames if isinstance(f, bytes))
    assert 1.5 < decode(data, "alaw", "none", 16000).duration < 4.0


@pytest.mark.parametrize(
    "message,code,reason",
    [
        (b"\x00\x01", 1003, "MESSAGE-0000"),  # binary frames are not part of TTS
        ("not json", 1008, "DATA-0000"),
        (json.dumps({"type": "Sing", "text": "la"}), 1008, "DATA-0000"),
        (json.dumps({"type": "Speak", "text": "a" * 2001}), 1009, "BIG-0001"),
        ("x" * 70000, 1009, "BIG-0000"),
    ],
)
def test_protocol_errors_close_with_deepgrams_codes(server, message, code, reason):
    with raw(server) as ws:
        ws.recv()  # Metadata
        ws.send(message)
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv()
        assert (ws.close_code, ws.close_reason) == (code, reason)


def test_flush_limit_warns(server):
    with raw(server) as ws:
        ws.recv()
        for _ in range(21):
            ws.send(json.dumps({"type": "Flush"}))  # nothing buffered: each is answered at once
        replies = [json.loads(ws.recv()) for _ in range(21)]
        assert [r["sequence_id"] for r in replies[:20]] == list(range(20))
        warning = replies[20]
        assert warning["type"] == "Warning" and warning["code"] == warning["warn_code"] and warning["description"]


@pytest.mark.parametrize(
    "query,headers,subprotocols,status",
    [
        ("", {"Authorization": "Token wrong"}, None, 401),
        ("", None, None, 401),
        ("?encoding=mp3", "key", None, 400),  # the socket sends raw samples only
        ("?encoding=linear16&sample_rate=22050", "key", None, 400),
        ("?model=aura-2-celeste-es", "key", None, 400),
        ("?speed=0.2", "key", None, 400),
        ("", None, ["token", "key"], 101),  # browsers: Sec-WebSocket-Protocol
        ("?model=aura-luna-en&encoding=mulaw&container=none", "key", None, 101),
    ],
)
def test_handshake(server, query, headers, subprotocols, status):
    if headers == "key":
        headers = {"Authorization": f"token {server.key}"}
    if subprotocols:
        subprotocols = [p if p != "key" else server.key for p in subprotocols]
    try:
        with connect(
            f"{server.ws_url}/v1/speak{query}", additional_headers=headers, subprotocols=subprotocols, open_timeout=10
        ) as ws:
            assert json.loads(ws.recv())["type"] == "Metadata"
            if subprotocols:
                assert ws.subprotocol == "token"
            got = 101
    except InvalidStatus as err:
        got = err.response.status_code
        assert err.response.headers["dg-error"] and err.response.headers["dg-request-id"]
        assert json.loads(err.response.body)["err_msg"] == err.response.headers["dg-error"]
    assert got == status
