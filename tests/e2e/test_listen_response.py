"""The response is Deepgram's to the field, and every request leaves its row in the request log."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests import audio

DEEPGRAM = json.loads(
    (audio.AUDIO_DIR / "deepgram_responses/preamble.rest.nova-3.smart_format.response.json").read_text()
)


def post(server, body: bytes, **params) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/listen",
        params=params,
        content=body,
        headers={"Authorization": f"Token {server.key}"},
        timeout=60,
    )


@pytest.fixture(scope="module")
def preamble(server):
    body = audio.read("preamble.wav")
    r = post(server, body, model="nova-3", punctuate="true", tag=["alpha", "beta"])
    assert r.status_code == 200, r.text
    return body, r


def test_same_fields_as_deepgram(preamble):
    _body, r = preamble
    ours = r.json()
    assert set(ours) == set(DEEPGRAM)
    assert set(ours["metadata"]) - {"tags"} == set(DEEPGRAM["metadata"])
    assert set(ours["results"]) == set(DEEPGRAM["results"])
    theirs_alt = DEEPGRAM["results"]["channels"][0]["alternatives"][0]
    ours_alt = ours["results"]["channels"][0]["alternatives"][0]
    assert set(ours_alt) == set(theirs_alt) - {"paragraphs"}  # paragraphs come with smart_format's issue
    for word in ours_alt["words"]:
        assert set(word) == set(theirs_alt["words"][0])
    model_info = next(iter(ours["metadata"]["model_info"].values()))
    assert set(model_info) == {"name", "version", "arch"}


def test_metadata_values(preamble):
    body, r = preamble
    meta = r.json()["metadata"]
    assert meta["transaction_key"] == "deprecated"
    assert str(uuid.UUID(meta["request_id"])) == meta["request_id"] == r.headers["dg-request-id"]
    assert meta["sha256"] == hashlib.sha256(body).hexdigest()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", meta["created"])
    created = datetime.fromisoformat(meta["created"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - created).total_seconds()) < 120
    assert meta["duration"] == pytest.approx(19.098, abs=0.01)
    assert meta["channels"] == 1
    assert meta["models"] == list(meta["model_info"])
    assert meta["tags"] == ["alpha", "beta"]
    assert "request_id" not in r.json()  # only inside metadata, or the SDK misreads the body


def test_words_are_timed_and_ordered(preamble):
    alt = preamble[1].json()["results"]["channels"][0]["alternatives"][0]
    words = alt["words"]
    assert len(words) > 40
    assert all(0 <= w["start"] <= w["end"] <= 19.2 for w in words)
    assert all(a["start"] <= b["start"] for a, b in zip(words, words[1:]))
    assert all(0 < w["confidence"] <= 1 for w in words)
    assert 0.5 < alt["confidence"] <= 1
    assert alt["transcript"] == " ".join(w["punctuated_word"] for w in words)
    assert alt["transcript"].startswith("We, the people")


def test_without_punctuate_words_are_bare(server):
    r = post(server, audio.read("jfk.flac"))
    alt = r.json()["results"]["channels"][0]["alternatives"][0]
    assert alt["transcript"] == alt["transcript"].lower()
    assert not re.search(r"[.,?!]", alt["transcript"])
    assert all("punctuated_word" not in w for w in alt["words"])
    assert alt["transcript"] == " ".join(w["word"] for w in alt["words"])
    assert "tags" not in r.json()["metadata"]


def test_stereo_is_downmixed(server):
    r = post(server, audio.read("one_two_three_stereo_32bit.wav"))
    meta = r.json()["metadata"]
    assert meta["channels"] == 1
    assert len(r.json()["results"]["channels"]) == 1


def test_sdk_parses_every_field(client):
    response = client.listen.v1.media.transcribe_file(request=audio.read("jfk_16k.wav"), punctuate=True)
    assert type(response).__name__ == "ListenV1Response"
    assert response.metadata.created.tzinfo is not None
    word = response.results.channels[0].alternatives[0].words[0]
    assert word.punctuated_word == "And"
    assert word.word == "and"


def test_request_log_row(server, preamble):
    _body, r = preamble
    row = server.request_row(r.json()["metadata"]["request_id"])
    assert row is not None
    assert (row.path, row.endpoint, row.method, row.code) == ("/v1/listen", "listen", "sync", 200)
    assert row.duration == pytest.approx(19.098, abs=0.01)
    assert row.channels == 1
    assert row.model == "nova-3"
    assert row.features == ["punctuate"]
    assert row.tags == ["alpha", "beta"]
    assert row.models == r.json()["metadata"]["models"]
    assert row.config["model"] == "nova-3"
    assert row.completed >= row.created


def test_failed_requests_are_logged(server):
    r = post(server, b"not audio at all" * 20)
    assert r.status_code == 400
    row = server.request_row(r.headers["dg-request-id"])
    assert row is not None and row.code == 400 and "corrupt" in row.message
