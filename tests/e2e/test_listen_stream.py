"""WSS /v1/listen through the official SDK's `listen.v1.connect`, at real-time pace unless the rule under
test does not depend on timing (decoding, VAD gating), where audio goes faster to keep the suite short."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
import websockets.sync.client as ws_client
from deepgram import DeepgramClient, DeepgramClientEnvironment
from deepgram.core.api_error import ApiError
from websockets.exceptions import InvalidStatus

from tests import audio, live
from tests.conftest import sdk_client

RECORDED = json.loads(
    (audio.AUDIO_DIR / "deepgram_responses/preamble_8k_mulaw.live.nova-3.last_result.json").read_text()
)
RECORDED_OPTIONS = json.loads(
    (audio.AUDIO_DIR / "deepgram_responses/preamble_8k_mulaw.live.nova-3.options.json").read_text()
)


def wav_payload(name: str) -> bytes:
    """The samples of a WAV file without its header: raw audio as a telephony system would send it."""
    data = audio.read(name)
    at = data.index(b"data") + 8
    return data[at:]


def check_tiling(session: live.Session, channel: int = 0, channels: int = 1) -> None:
    """Finals cover the stream end to end, each starting where the previous one ended; words inside."""
    finals = [r for r in session.finals if r["channel_index"] == [channel, channels]]
    assert finals
    assert finals[0]["start"] == 0
    for a, b in zip(finals, finals[1:]):
        assert b["start"] == pytest.approx(a["start"] + a["duration"], abs=0.002)
    for r in finals:
        for w in r["channel"]["alternatives"][0]["words"]:
            assert r["start"] - 0.001 <= w["start"] <= w["end"] <= r["start"] + r["duration"] + 0.001


def check_interims(session: live.Session) -> None:
    """An interim covers only the open segment: it starts where the next final starts and comes before it (a
    final is never revised). On continuous speech it may run past that final's end: the final commits the
    settled front of what the interim showed, and the rest comes again in the next interims."""
    pending: list[dict] = []
    seen = 0
    for r in session.results:
        if not r["is_final"]:
            pending.append(r)
            continue
        for i in pending:
            assert i["start"] == r["start"]
            seen += 1
        pending = []
    assert not pending or all(
        i["start"] >= session.finals[-1]["start"] + session.finals[-1]["duration"] - 0.001 for i in pending
    )


def keys(d: dict) -> set[str]:
    return set(d)


# --- the recorded Deepgram stream: raw mu-law at 8 kHz, real time ---


@pytest.fixture(scope="module")
def preamble(client) -> tuple[live.Session, bytes]:
    payload = wav_payload("preamble_8k_mulaw.wav")
    options = {k: v for k, v in RECORDED_OPTIONS.items() if k != "language"}
    session = live.stream(
        client,
        [live.audio(payload, 8000), live.audio(b"\xff" * 8000, 8000), live.CLOSE],  # 1 s of mu-law silence
        language="en-US",
        interim_results=True,
        vad_events=True,
        utterance_end_ms=1000,
        tag="live-test",
        **options,
    )
    return session, payload


def test_results_have_deepgrams_fields(preamble):
    session, _ = preamble
    assert session.results
    for r in session.results:
        assert keys(r) == keys(RECORDED)  # and so no sha256, which old SDKs take for the closing Metadata
        assert keys(r["metadata"]) == keys(RECORDED["metadata"])
        assert keys(r["metadata"]["model_info"]) == {"name", "version", "arch"}
        assert r["type"] == "Results" and r["channel_index"] == [0, 1]
        alternative = r["channel"]["alternatives"][0]
        assert keys(alternative) == keys(RECORDED["channel"]["alternatives"][0])
        for w in alternative["words"]:
            assert keys(w) == keys(RECORDED["channel"]["alternatives"][0]["words"][0])
    request_ids = {r["metadata"]["request_id"] for r in session.results}
    assert len(request_ids) == 1 and str(uuid.UUID(request_ids.pop()))


def test_sdk_parses_every_message(preamble):
    session, _ = preamble
    names = {type(a.message).__name__ for a in session.arrivals}
    assert names <= {"ListenV1Results", "ListenV1Metadata", "ListenV1SpeechStarted", "ListenV1UtteranceEnd"}
    assert {"ListenV1Results", "ListenV1Metadata", "ListenV1SpeechStarted", "ListenV1UtteranceEnd"} <= names


def test_transcript_and_text_features(preamble):
    session, _ = preamble
    text = session.transcript()
    assert audio.wer(audio.reference("preamble_8k_mulaw.wav"), text) <= 0.12, text
    assert "United States" in text  # punctuate/smart_format: cased and punctuated
    assert any(r["channel"]["alternatives"][0]["transcript"].endswith((".", ",")) for r in session.finals)
    assert all(w["punctuated_word"] for r in session.finals for w in r["channel"]["alternatives"][0]["words"])


def test_finals_tile_the_stream_and_interims_cover_the_open_segment(preamble):
    session, payload = preamble
    check_tiling(session)
    check_interims(session)
    last = session.finals[-1]
    assert last["start"] + last["duration"] == pytest.approx(len(payload) / 8000 + 1.0, abs=0.05)
    assert len([r for r in session.results if not r["is_final"]]) >= 5  # about one a second of speech


def test_endpoints_and_vad_events(preamble):
    session, _ = preamble
    ends = [r for r in session.finals if r["speech_final"]]
    assert ends and all(r["channel"]["alternatives"][0]["words"] for r in ends)
    started = session.of("SpeechStarted")
    assert started and all(s["channel"] == [0, 1] for s in started)
    assert started[0]["timestamp"] < session.finals[0]["start"] + session.finals[0]["duration"]
    utterance_ends = session.of("UtteranceEnd")
    assert utterance_ends
    word_ends = [w["end"] for r in session.finals for w in r["channel"]["alternatives"][0]["words"]]
    for u in utterance_ends:
        assert u["channel"] == [0, 1] and u["last_word_end"] in word_ends
    assert utterance_ends[-1]["last_word_end"] == word_ends[-1]


def test_closing_metadata(preamble):
    session, payload = preamble
    assert session.arrivals[-1].type == "Metadata"
    meta = session.of("Metadata")
    assert len(meta) == 1
    meta = meta[0]
    assert meta["transaction_key"] == "deprecated"
    assert meta["request_id"] == session.results[0]["metadata"]["request_id"]
    assert meta["sha256"] == hashlib.sha256(bytes(session.sent)).hexdigest()
    assert meta["duration"] == pytest.approx(len(payload) / 8000 + 1.0, abs=0.01)
    assert meta["channels"] == 1
    assert meta["models"] == [session.results[0]["metadata"]["model_uuid"]]
    assert set(meta["model_info"]) == set(meta["models"])
    assert session.close_code == 1000


def test_stream_writes_one_request_log_row(server, preamble):
    session, payload = preamble
    row = server.request_row(session.results[0]["metadata"]["request_id"])
    assert row is not None
    assert (row.method, row.endpoint, row.path, row.code) == ("streaming", "listen", "/v1/listen", 200)
    assert row.duration == pytest.approx(len(payload) / 8000 + 1.0, abs=0.01)
    assert row.channels == 1 and row.tags == ["live-test"]


# --- containers, codecs and raw encodings ---


def test_wav_container_without_encoding_and_the_empty_frame(client):
    """A WAV stream (mu-law inside) needs no `encoding`; the legacy empty binary frame ends the stream."""
    data = audio.read("testing123_8k_mulaw.wav")
    session = live.stream(client, [live.audio(data, 8000), live.EMPTY], smart_format=True, replace="testing:checking")
    text = session.transcript()
    assert audio.normalize(text) == audio.normalize("checking 123 checking 123"), text
    assert "123" in text  # smart_format writes numbers as digits
    assert session.arrivals[-1].type == "Metadata" and session.close_code == 1000
    assert session.of("Metadata")[0]["duration"] == pytest.approx(4.68, abs=0.05)


def _concurrently(jobs: dict[str, callable]) -> dict[str, live.Session]:
    out: dict[str, live.Session] = {}
    errors: list[BaseException] = []

    def run(name, job):
        try:
            out[name] = job()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    return out


CARDS = "cards_005.wav"


def test_compressed_streams_decode_incrementally(client):
    """Ogg/Opus, WebM/Opus, MP3, FLAC and AMR-NB, with endpointing on and off: six streams at once, real time."""
    clip = audio.read("61-70968-0000.flac")
    ogg = audio.transcoded(CARDS, "ogg", "libopus", 48000)
    webm = audio.transcoded(CARDS, "webm", "libopus", 48000)
    amr = audio.transcoded(CARDS, "amr", "libopencore_amrnb", 8000)
    mp3 = audio.transcoded(CARDS, "mp3", "libmp3lame", 16000)
    seconds = audio.manifest()[CARDS]["duration_s"]
    pcm = audio.pcm16(CARDS) + bytes(32000)  # and a second of silence: an endpoint

    def paced(data: bytes, duration: float) -> list[live.Step]:
        return [live.audio(data, len(data) / duration), live.CLOSE]

    sessions = _concurrently(
        {
            "ogg": lambda: live.stream(client, paced(ogg, seconds), encoding="opus"),
            "webm": lambda: live.stream(client, paced(webm, seconds)),
            "amr": lambda: live.stream(client, paced(amr, seconds), encoding="amr-nb", sample_rate=8000),
            "mp3": lambda: live.stream(client, paced(mp3, seconds), endpointing=False),
            "flac": lambda: live.stream(client, paced(clip, 4.905), encoding="flac"),
            "pcm": lambda: live.stream(
                client, paced(pcm, seconds + 1), encoding="linear16", sample_rate=16000, endpointing=300
            ),
        }
    )
    for name in ("ogg", "webm", "amr", "mp3"):
        s = sessions[name]
        assert audio.wer(audio.reference(CARDS), s.transcript()) <= 0.35, (name, s.transcript())
        assert s.of("Metadata")[0]["duration"] == pytest.approx(seconds, abs=0.1), name
        check_tiling(s)
    flac = sessions["flac"]
    assert audio.wer(audio.reference("61-70968-0000.flac"), flac.transcript()) <= 0.15, flac.transcript()
    assert not any(r["speech_final"] for r in sessions["mp3"].results)  # endpointing=false
    assert any(r["speech_final"] for r in sessions["pcm"].results)


def test_raw_encodings_and_rates(client):
    """alaw at 8 kHz and linear32 at 48 kHz (four times real time: only decoding is under test)."""
    pcm8 = np.frombuffer(audio.pcm16(CARDS, 8000), "<i2")
    alaw = _alaw_encode(pcm8)
    pcm48 = np.frombuffer(audio.pcm16(CARDS, 48000), "<i2").astype("<i4") << 16
    sessions = _concurrently(
        {
            "alaw": lambda: live.stream(
                client, [live.audio(alaw, 8000, pace=4), live.CLOSE], encoding="alaw", sample_rate=8000
            ),
            "linear32": lambda: live.stream(
                client,
                [live.audio(pcm48.tobytes(), 48000 * 4, pace=4), live.CLOSE],
                encoding="linear32",
                sample_rate=48000,
            ),
        }
    )
    for name, s in sessions.items():
        assert audio.wer(audio.reference(CARDS), s.transcript()) <= 0.35, (name, s.transcript())
        assert s.of("Metadata")[0]["duration"] == pytest.approx(audio.manifest()[CARDS]["duration_s"], abs=0.05)


def _alaw_encode(pcm: np.ndarray) -> bytes:
    import av

    ctx = av.CodecContext.create("pcm_alaw", "w")
    ctx.sample_rate, ctx.layout, ctx.format = 8000, "mono", "s16"
    frame = av.AudioFrame.from_ndarray(pcm.astype(np.int16)[None], format="s16", layout="mono")
    frame.sample_rate = 8000
    return b"".join(bytes(p) for p in ctx.encode(frame)) + b"".join(bytes(p) for p in ctx.encode(None))


def test_multichannel(client):
    """Two speakers, one per channel, as interleaved linear16: each channel transcribed on its own."""
    name = "stereo_diarization.wav"
    payload = wav_payload(name)
    session = live.stream(
        client,
        [live.audio(payload, 16000 * 4), live.CLOSE],
        encoding="linear16",
        sample_rate=16000,
        channels=2,
        multichannel=True,
    )
    refs = audio.manifest()[name]["channel_transcripts"]
    for channel in (0, 1):
        check_tiling(session, channel, 2)
        assert audio.wer(refs[str(channel)], session.transcript(channel)) <= 0.25, session.transcript(channel)
    assert session.of("Metadata")[0]["channels"] == 2


def test_diarize_numbers_speakers_as_they_come(client):
    """Two voices (JFK, then an audiobook reader, then JFK again): words get `speaker`, the same voice the
    same number. Four times real time: only the labels are under test."""
    gap = bytes(32000)
    parts = [audio.pcm16("jfk_16k.wav"), gap, audio.pcm16("LJ001-0001.wav"), gap, audio.pcm16("jfk_16k.wav"), gap]
    session = live.stream(
        client,
        [live.audio(b"".join(parts), 32000, pace=4), live.CLOSE],
        encoding="linear16",
        sample_rate=16000,
        diarize=True,
    )
    bounds = np.cumsum([len(p) / 32000 for p in parts])
    words = [w for r in session.finals for w in r["channel"]["alternatives"][0]["words"]]
    assert words and all("speaker" in w and "speaker_confidence" not in w for w in words)

    def speakers(lo: float, hi: float) -> set[int]:
        return {w["speaker"] for w in words if lo <= (w["start"] + w["end"]) / 2 < hi}

    first, reader, again = speakers(0, bounds[1]), speakers(bounds[1], bounds[3]), speakers(bounds[3], bounds[5])
    assert first == again == {0}, (first, again)
    assert reader == {1}, reader


SPANISH = (
    "Buenos días a todos. Hoy vamos a hablar del tiempo que hará mañana en Madrid. Por la mañana hará sol, pero por "
    "la tarde probablemente lloverá. No olviden su paraguas."
)  # tests/data/README.md


def test_non_english_stream_uses_the_multilingual_model(client):
    """`language=es` routes the stream to the multilingual model (twice real time: decoding is under test);
    with `language=multi` each segment's language is detected, and its words and `languages` say it."""
    import av

    path = Path(__file__).resolve().parents[1] / "data" / "espeak_es.ogg"
    data = path.read_bytes()
    with av.open(str(path)) as container:
        seconds = container.duration / 1e6
    session = live.stream(client, [live.audio(data, len(data) / seconds, pace=2), live.CLOSE], language="es")
    text = session.transcript().lower()
    # Whisper base hears espeak's robotic Spanish roughly (batch gets about half its words right on some CPUs);
    # the English model would write nothing Spanish at all.
    assert "buenos días" in text and "hablar del tiempo" in text, text
    assert len(text.split()) >= 20 and audio.wer(SPANISH, text) <= 0.6, text  # the second sentence too
    assert session.results[0]["metadata"]["model_info"]["name"] == "whisper-base"
    multi = live.stream(client, [live.audio(data, len(data) / seconds, pace=2), live.CLOSE], language="multi")
    spoken = [r["channel"]["alternatives"][0] for r in multi.finals if r["channel"]["alternatives"][0]["words"]]
    assert spoken and all(a["languages"] == ["es"] for a in spoken), [a["languages"] for a in spoken]
    assert all(w["language"] == "es" for a in spoken for w in a["words"])
    assert "buenos días" in multi.transcript().lower(), multi.transcript()


# --- control messages and timeouts ---


def test_finalize_flushes_and_the_stream_stays_open(client):
    pcm = audio.pcm16("61-70968-0000.flac")
    half = len(pcm) // 2 // 2 * 2
    session = live.stream(
        client,
        [live.audio(pcm[:half], 32000), live.FINALIZE, live.sleep(1.5), live.audio(pcm[half:], 32000), live.CLOSE],
        encoding="linear16",
        sample_rate=16000,
    )
    flushed = [r for r in session.results if r["from_finalize"]]
    assert len(flushed) == 1 and flushed[0]["is_final"]
    assert flushed[0]["channel"]["alternatives"][0]["transcript"]
    assert flushed[0]["start"] + flushed[0]["duration"] == pytest.approx(half / 32000, abs=0.05)
    check_tiling(session)
    assert audio.wer(audio.reference("61-70968-0000.flac"), session.transcript()) <= 0.3, session.transcript()
    assert session.close_code == 1000


def test_keepalive_holds_an_idle_stream_and_silence_closes_it(client):
    """KeepAlive gets no reply and keeps a stream open past the idle timeout; a stream with nothing
    from the client for about 10 s is closed with 1011 NET-0001 (both at once, to save time)."""
    tone = np.zeros(2 * 16000, np.int16).tobytes()
    sessions = _concurrently(
        {
            "kept": lambda: live.stream(
                client,
                [live.audio(tone, 32000)] + [live.sleep(3), live.KEEPALIVE] * 4 + [live.CLOSE],
                encoding="linear16",
                sample_rate=16000,
            ),
            "idle": lambda: live.stream(client, [live.audio(tone, 32000)], encoding="linear16", sample_rate=16000),
        }
    )
    kept, idle = sessions["kept"], sessions["idle"]
    assert kept.close_code == 1000 and kept.arrivals[-1].type == "Metadata"
    assert kept.arrivals[-1].at > 12
    # Nothing answers a KeepAlive: after the second of audio is transcribed, only the closing messages come.
    quiet = [a for a in kept.arrivals if 3 < a.at < kept.marks["close"]]
    assert quiet == []
    assert (idle.close_code, idle.close_reason) == (1011, "NET-0001")
    assert 11 < idle.ended < 14
    assert idle.finals  # its audio was answered before the close


def test_undecodable_audio_closes_with_1008(client):
    junk = b"this is certainly not audio " * 2000
    session = live.stream(client, [live.audio(junk, 32000, pace=10), live.sleep(2)])
    assert (session.close_code, session.close_reason) == (1008, "DATA-0000")


def test_silence_and_noise_produce_no_words(client):
    """Silero VAD gates the model: 30 s of silence and 30 s of noise give empty finals only."""
    rng = np.random.default_rng(7)
    silence = np.zeros(30 * 16000, np.int16)
    noise = np.clip(rng.standard_normal(30 * 16000) * 0.1 * 32767, -32768, 32767).astype(np.int16)
    payload = np.concatenate([silence, noise]).tobytes()
    session = live.stream(
        client,
        [live.audio(payload, 32000, pace=6), live.CLOSE],
        encoding="linear16",
        sample_rate=16000,
        interim_results=True,
        vad_events=True,
    )
    assert len(session.finals) >= 50  # about one a second
    assert all(r["channel"]["alternatives"][0]["transcript"] == "" for r in session.results)
    assert all(r["channel"]["alternatives"][0]["words"] == [] for r in session.results)
    assert not session.of("SpeechStarted")
    check_tiling(session)
    assert session.of("Metadata")[0]["duration"] == pytest.approx(60.0, abs=0.01)


# --- the handshake ---


def _refusal(server, query: str, headers: dict[str, str] | None = None) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as info:
        ws_client.connect(f"{server.ws_url}/v1/listen?{query}", additional_headers=headers or {})
    return info.value


def test_bad_credentials_are_refused_before_the_upgrade(server):
    bad = sdk_client(server, "0" * 40)
    with pytest.raises((ApiError, InvalidStatus)) as info, bad.listen.v1.connect(model="nova-3"):
        pass
    # The SDK maps a refused handshake to ApiError(401) where its websockets version raises
    # InvalidStatusCode; with websockets 14+ the sync client's InvalidStatus reaches the caller as is.
    refused = info.value
    assert (refused.status_code if isinstance(refused, ApiError) else refused.response.status_code) == 401
    refused = _refusal(server, "model=nova-3", {"Authorization": "Token " + "0" * 40})
    response = refused.response
    assert response.status_code == 401
    assert str(uuid.UUID(response.headers["dg-request-id"]))
    assert response.headers["dg-error"] == "Invalid credentials."
    assert json.loads(response.body)["err_code"] == "INVALID_AUTH"
    assert _refusal(server, "model=nova-3").response.status_code == 401  # no credentials at all


@pytest.mark.parametrize(
    "query",
    [
        "model=nova-3&encoding=linear16",  # raw audio needs its sample rate
        "model=nova-3&encoding=mp4",
        "model=nova-3&sample_rate=fast&encoding=linear16",
        "model=no-such-model",
        "model=nova-3&callback_method=PATCH",
        "model=nova-3&endpointing=soon",
        "model=nova-3&diarize_model=v2",
    ],
)
def test_bad_parameters_are_refused_before_the_upgrade(server, query):
    response = _refusal(server, query, {"Authorization": f"Token {server.key}"}).response
    assert response.status_code == 400
    assert response.headers["dg-request-id"] and response.headers["dg-error"]
    assert json.loads(response.body)["err_msg"] == response.headers["dg-error"]


def test_browser_subprotocol_and_temporary_token(server, client):
    pcm = audio.pcm16("cards_001.wav")
    with ws_client.connect(
        f"{server.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000",
        subprotocols=["token", server.key],
    ) as ws:
        assert ws.subprotocol == "token"
        assert ws.response.headers["dg-request-id"]
        ws.send(pcm)
        ws.send(json.dumps({"type": "CloseStream"}))
        messages = [json.loads(m) for m in ws]
    assert messages[-1]["type"] == "Metadata"
    assert (
        audio.normalize(" ".join(m["channel"]["alternatives"][0]["transcript"] for m in messages[:-1]))
        == "ten of clubs"
    )
    token = client.auth.v1.tokens.grant(ttl_seconds=60).access_token
    environment = DeepgramClientEnvironment(
        base=server.url, production=server.ws_url, agent=server.ws_url, agent_rest=server.url
    )
    holder = DeepgramClient(access_token=token, environment=environment)
    session = live.stream(holder, [live.audio(pcm, 32000, pace=4), live.CLOSE], encoding="linear16", sample_rate=16000)
    assert session.close_code == 1000 and audio.normalize(session.transcript()) == "ten of clubs"


# --- sharing the model ---


def _stalled_reader(server, pcm: bytes, read_after: threading.Event) -> tuple[list[dict], int]:
    """A client that streams audio but reads nothing until `read_after` is set (a tiny receive buffer, a
    one-message queue), then reads everything. On loopback the kernel's send buffer can absorb a few
    hundred KB, so whether the server's writes block (and its interims are dropped) depends on the host;
    what must hold either way is that the other streams are unaffected and no final is lost."""
    import socket

    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    bloat = [f"k{i}:{'x' * 1000}" for i in range(7)]  # echoed in every Results: big messages fill buffers fast
    query = urlencode(
        [("encoding", "linear16"), ("sample_rate", 16000), ("interim_results", "true"), *[("extra", e) for e in bloat]]
    )
    with ws_client.connect(
        f"{server.ws_url}/v1/listen?{query}",
        sock=sock,
        max_queue=1,
        additional_headers={"Authorization": f"Token {server.key}"},
    ) as ws:
        step = 3200
        for i in range(0, len(pcm), step):
            ws.send(pcm[i : i + step])
            time.sleep(step / 32000 / 6)  # six times real time
        ws.send(json.dumps({"type": "CloseStream"}))
        read_after.wait(60)
        messages = [json.loads(m) for m in ws]
        return messages, ws.close_code


def test_flooding_and_stalled_clients_do_not_hold_up_a_real_time_one(client, server):
    """One client sends a minute of speech as fast as it can, another never reads its results, while a third
    streams in real time: the scheduler takes finals round-robin across streams, and a stalled reader only
    fills its own queue (its interims are dropped, never its finals), so the real-time stream's endpoints
    stay prompt."""
    flood = audio.pcm16("preamble.wav") * 3
    jfk = audio.pcm16("jfk_16k.wav") + bytes(32000)
    stalled_audio = audio.pcm16("preamble.wav") * 3
    paced_done = threading.Event()

    def paced():
        try:
            return live.stream(client, [live.audio(jfk, 32000), live.CLOSE], encoding="linear16", sample_rate=16000)
        finally:
            paced_done.set()

    sessions = _concurrently(
        {
            "flood": lambda: live.stream(
                client, [live.audio(flood, 32000, pace=50), live.CLOSE], encoding="linear16", sample_rate=16000
            ),
            "paced": paced,
            "stalled": lambda: _stalled_reader(server, stalled_audio, paced_done),
        }
    )
    paced = sessions["paced"]
    assert audio.wer(audio.reference("jfk_16k.wav"), paced.transcript()) <= 0.1, paced.transcript()
    lags = [
        a.sent - (a.body["start"] + a.body["duration"])
        for a in paced.arrivals
        if a.type == "Results" and a.body["is_final"] and a.body["channel"]["alternatives"][0]["words"]
    ]
    assert lags and max(lags) < 4.0, lags
    flood_ref = " ".join([audio.reference("preamble.wav")] * 3)
    assert audio.wer(flood_ref, sessions["flood"].transcript()) <= 0.15, sessions["flood"].transcript()

    messages, code = sessions["stalled"]
    assert code == 1000 and messages[-1]["type"] == "Metadata"
    finals = [m for m in messages if m["type"] == "Results" and m["is_final"]]
    assert finals[0]["start"] == 0
    for a, b in zip(finals, finals[1:]):  # every final arrived, in order, though the client read nothing for a while
        assert b["start"] == pytest.approx(a["start"] + a["duration"], abs=0.002)
    said = " ".join(f["channel"]["alternatives"][0]["transcript"] for f in finals)
    assert audio.wer(" ".join([audio.reference("preamble.wav")] * 3), said) <= 0.15, said


def test_smart_format_waits_for_a_number_unless_no_delay(client):
    """A number said in several breaths ("one two three", pause, "one two three") is one entity to Deepgram's
    smart formatting: without `no_delay` a final that ends in a number waits (up to 3 s of audio) for the
    next and they come as one final; with `no_delay=true` each part is final as soon as it is decoded.
    Real-time pace: the wait is measured in audio."""
    digits = np.frombuffer(audio.pcm16("one_two_three.wav"), np.int16)
    pause = np.zeros(int(0.7 * 16000), np.int16)
    tail = np.zeros(int(1.5 * 16000), np.int16)
    pcm = np.concatenate([digits, pause, digits, tail]).tobytes()

    def run(no_delay: bool):
        return lambda: live.stream(
            client,
            [live.audio(pcm, 32000), live.CLOSE],
            encoding="linear16",
            sample_rate=16000,
            smart_format=True,
            # The SDK has no `no_delay` argument; Deepgram's docs name it, so it goes as an extra parameter.
            request_options={"additional_query_parameters": {"no_delay": str(no_delay).lower()}},
        )

    sessions = _concurrently({"waited": run(False), "immediate": run(True)})
    said = {}
    for name, session in sessions.items():
        check_tiling(session)
        said[name] = [r for r in session.finals if r["channel"]["alternatives"][0]["words"]]
    texts = {k: [r["channel"]["alternatives"][0]["transcript"] for r in v] for k, v in said.items()}
    assert len(said["waited"]) == 1, texts
    words = said["waited"][0]["channel"]["alternatives"][0]["words"]
    assert words[0]["start"] < len(digits) / 16000 < words[-1]["end"], texts  # both breaths in one final
    assert len(said["immediate"]) >= 2, texts


def test_detect_entities_on_finals(client):
    """`detect_entities` on a stream: every final carries `entities` ([] when none), interims none; the
    phone call's speaker names herself and her state."""
    pcm = audio.pcm16("pyannote_sample.wav")[: 32000 * 20]
    session = live.stream(
        client,
        [live.audio(pcm, 32000, pace=4.0), live.sleep(2), live.CLOSE],
        encoding="linear16",
        sample_rate=16000,
        interim_results=True,
        detect_entities=True,
    )
    raw = [a.message for a in session.arrivals if a.type == "Results"]
    assert raw and all(("entities" in r.model_dump(exclude_unset=True)) == r.is_final for r in raw)
    found = [e for r in session.finals for e in r["entities"]]
    labels = {(e["label"], e["value"]) for e in found}
    # Which of the call's names spaCy tags depends on where the finals cut it: the places it says are there.
    places = {v for label, v in labels if label.startswith("LOCATION")}
    assert places & {"Chicago", "Texas", "New Jersey"}, labels
    for r in session.finals:
        words = r["channel"]["alternatives"][0]["words"]
        for e in r["entities"]:
            assert 0 <= e["start_word"] < e["end_word"] <= len(words)


READ_SPEECH = ("61-70968-0000.flac", "LJ001-0001.wav", "LJ001-0007.wav")  # 23 s read back to back, no 0.4 s pause


@pytest.mark.parametrize("interim_results", [False, True])
def test_continuous_speech_gets_finals_without_a_pause(client, interim_results):
    """Read speech with no pause long enough for an endpoint: finals come every few seconds anyway
    (`is_final` with `speech_final: false`, before the stream closes), tile the stream, are never revised,
    and together say what was read."""
    pcm = b"".join(audio.pcm16(name) for name in READ_SPEECH)
    session = live.stream(
        client, [live.audio(pcm, 32000, pace=1.5), live.sleep(1.0), live.CLOSE],
        encoding="linear16", sample_rate=16000, punctuate=True, interim_results=interim_results,
    )  # fmt: skip
    check_tiling(session)
    if interim_results:
        check_interims(session)
    closed = session.marks["close"]
    committed = [
        a.body for a in session.arrivals
        if a.type == "Results" and a.body["is_final"] and not a.body["speech_final"] and a.at < closed
        and a.body["channel"]["alternatives"][0]["words"]
    ]  # fmt: skip
    assert len(committed) >= 2, [r["channel"]["alternatives"][0]["transcript"] for r in session.finals]
    ends = [0.0] + [r["start"] + r["duration"] for r in session.finals if r["channel"]["alternatives"][0]["words"]]
    assert max(b - a for a, b in zip(ends, ends[1:])) < 10.0  # no 12 s wait for a pause
    reference = " ".join(audio.reference(name) for name in READ_SPEECH)
    assert audio.wer(reference, session.transcript()) <= 0.15, session.transcript()
