"""`callback=` on WSS /v1/listen: every streaming response is relayed to the customer's server (seed 003),
by HTTP request per message or over one WebSocket whose loss kills the stream."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import InvalidStatus
from websockets.sync.server import serve

from tests import audio, live
from tests.callbacks import CallbackReceiver

CLIP = "61-70968-0000.flac"


def _sent_bodies(session: live.Session) -> list[dict]:
    return [a.body for a in session.arrivals]


def test_http_callback_receives_every_message_in_order(client, server):
    receiver = CallbackReceiver()
    try:
        session = live.stream(
            client,
            [live.audio(audio.pcm16(CLIP), 32000, pace=4.0), live.CLOSE],
            encoding="linear16",
            sample_rate=16000,
            interim_results=True,
            callback=receiver.url,
        )
        seen = session.arrivals
        assert session.close_code == 1000
        got = receiver.wait_for(len(seen), timeout=30)
        assert [r["body"]["type"] for r in got] == [a.type for a in seen]
        assert got[-1]["body"]["type"] == "Metadata"
        assert got[-1]["body"]["request_id"] == seen[-1].body["request_id"]
        finals = [r["body"] for r in got if r["body"]["type"] == "Results" and r["body"]["is_final"]]
        said = " ".join(f["channel"]["alternatives"][0]["transcript"] for f in finals)
        assert said.strip() == session.transcript().strip() and said.strip()
        assert {r["method"] for r in got} == {"POST"}
        assert all(r["headers"].get("dg-token") for r in got)  # the key's id, for the receiver to check
    finally:
        receiver.close()


def test_callback_method_put(client):
    receiver = CallbackReceiver()
    try:
        session = live.stream(
            client,
            [live.audio(audio.pcm16(CLIP)[: 32000 * 3], 32000, pace=4.0), live.CLOSE],
            encoding="linear16",
            sample_rate=16000,
            callback=receiver.url,
            callback_method="put",
        )
        got = receiver.wait_for(len(session.arrivals), timeout=30)
        assert got and {r["method"] for r in got} == {"PUT"}
    finally:
        receiver.close()


class WsReceiver:
    """A WebSocket callback server that keeps what it receives and hangs up after `drop_after` messages."""

    def __init__(self, drop_after: int | None = None):
        self.received: list[str] = []
        self.drop_after = drop_after

        def handler(connection):
            for message in connection:
                self.received.append(message)
                if self.drop_after is not None and len(self.received) >= self.drop_after:
                    connection.close()
                    return

        self.server = serve(handler, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/live"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_websocket_callback_relays_and_its_loss_kills_the_stream(client):
    whole = WsReceiver()
    dropping = WsReceiver(drop_after=2)
    try:
        pcm = audio.pcm16(CLIP)
        kept = live.stream(
            client,
            [live.audio(pcm, 32000, pace=4.0), live.CLOSE],
            encoding="linear16",
            sample_rate=16000,
            callback=whole.url,
        )
        assert kept.close_code == 1000
        deadline = time.monotonic() + 10
        while len(whole.received) < len(kept.arrivals) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(whole.received) == len(kept.arrivals)
        assert '"type":"Metadata"' in whole.received[-1]

        killed = live.stream(
            client,
            [live.audio(pcm, 32000, pace=1.0), live.CLOSE],
            encoding="linear16",
            sample_rate=16000,
            interim_results=True,
            callback=dropping.url,
        )
        assert killed.close_code == 1011
        assert killed.audio_sent < len(pcm) / 32000 - 1  # ended early, not at the end of the audio
        assert not killed.of("Metadata")
    finally:
        whole.close()
        dropping.close()


@pytest.mark.parametrize("callback", ["ftp://127.0.0.1/hook", "not a url", "ws://127.0.0.1:9/nobody-listens"])
def test_bad_or_unreachable_callback_is_refused_before_the_upgrade(server, callback):
    with pytest.raises(InvalidStatus) as refused:
        ws_client.connect(
            server.ws_url
            + "/v1/listen?"
            + urlencode({"callback": callback, "encoding": "linear16", "sample_rate": 16000}),
            additional_headers={"Authorization": f"Token {server.key}"},
        )
    response = refused.value.response
    assert response.status_code == 400
    assert response.headers["dg-error"] == "Invalid callback url."
    assert response.headers["dg-request-id"]
