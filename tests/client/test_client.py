"""`opengram.client` beyond the README: where it points, and how every failure surfaces (one exception type
with the status and the server's body)."""

from __future__ import annotations

import asyncio

import pytest

from opengram.client import Deepgram, DeepgramApiError, LiveTranscriptionEvents
from tests import audio


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/", "/v1/listen"])
def test_api_url_with_or_without_v1(server, suffix):
    dg = Deepgram({"api_key": server.key, "api_url": server.url + suffix})
    assert dg.options["api_url"] == server.url + "/v1"
    assert asyncio.run(dg.projects.list())["projects"][0]["name"] == "Default Project"


def test_default_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENGRAM_URL", "http://example.test:9000")
    assert Deepgram("k").options["api_url"] == "http://example.test:9000/v1"
    monkeypatch.delenv("OPENGRAM_URL")
    assert Deepgram("k").options["api_url"] == "http://localhost:8080/v1"
    with pytest.raises(ValueError):
        Deepgram({"api_url": "http://x"})


def test_refusals_carry_status_and_body(server):
    bad = Deepgram({"api_key": "0" * 40, "api_url": server.url})
    for call in (
        lambda: bad.transcription.sync_prerecorded({"buffer": audio.read("cards_001.wav"), "mimetype": "audio/wav"}),
        lambda: asyncio.run(bad.transcription.prerecorded({"url": "http://127.0.0.1:9/a.wav"})),
        lambda: asyncio.run(bad.keys.list("00000000-0000-0000-0000-000000000000")),
        lambda: asyncio.run(bad.transcription.live({"punctuate": True})),
    ):
        with pytest.raises(DeepgramApiError) as err:
            call()
        assert err.value.status == 401 and err.value.body["err_code"] == "INVALID_AUTH"
        assert err.value.err_msg == "Invalid credentials."

    good = Deepgram({"api_key": server.key, "api_url": server.url})
    with pytest.raises(DeepgramApiError) as err:  # a plain-text body stays text
        asyncio.run(good.projects.get("not-a-uuid"))
    assert err.value.status == 404 and err.value.body.startswith("UUID parsing failed")
    with pytest.raises(DeepgramApiError) as err:
        good.transcription.sync_prerecorded({"buffer": b"not audio", "mimetype": "audio/wav"}, model="no-such-model")
    assert err.value.status == 400 and "model" in err.value.err_msg
    with pytest.raises(ValueError, match="Mimetype"):
        good.transcription.sync_prerecorded({"buffer": b"x"})


def test_an_unreachable_server():
    dg = Deepgram({"api_key": "k", "api_url": "http://127.0.0.1:9"})
    with pytest.raises(DeepgramApiError) as err:
        asyncio.run(dg.projects.list())
    assert err.value.status is None and "cannot reach http://127.0.0.1:9/v1" in str(err.value)
    with pytest.raises(DeepgramApiError) as err:
        asyncio.run(dg.transcription.live())
    assert err.value.status is None


def test_live_reports_a_stream_the_server_ends(server):
    """Audio the server cannot decode ends the stream with 1008: ERROR, then CLOSE with the code."""

    async def go():
        live = await Deepgram({"api_key": server.key, "api_url": server.url}).transcription.live()
        events = []
        live.register_handler(LiveTranscriptionEvents.OPEN, lambda opened: events.append(("open", opened is live)))
        live.register_handler(live.event.ERROR, lambda e: events.append(("error", e)))
        live.register_handler(live.event.CLOSE, lambda code: events.append(("close", code)))
        live.send(b"this is not audio, not in any container" * 200)
        await live.finish()
        return events

    events = asyncio.run(go())
    assert events[0] == ("open", True) and events[-1] == ("close", 1008)
    assert events[1][0] == "error" and "1008" in events[1][1]
