"""`{"url"}` bodies: fetched with httpx, within limits, with Deepgram's REMOTE_CONTENT_ERROR texts."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest
from deepgram.core.api_error import ApiError

from tests import audio


def test_transcribe_url(client, files):
    response = client.listen.v1.media.transcribe_url(url=f"{files.url}/audio/jfk.mp3", punctuate=True)
    transcript = response.results.channels[0].alternatives[0].transcript
    assert audio.wer(audio.reference("jfk.mp3"), transcript) <= 0.05, transcript
    # sha256 is of the fetched bytes.
    assert response.metadata.sha256 == hashlib.sha256(audio.read("jfk.mp3")).hexdigest()


def test_transcribe_url_follows_redirects(client, files):
    response = client.listen.v1.media.transcribe_url(url=f"{files.url}/redirect/one_two_three.wav")
    transcript = response.results.channels[0].alternatives[0].transcript
    assert audio.wer("one two three", transcript) == 0, transcript


@pytest.mark.parametrize(
    "path,message",
    [
        ("/missing.wav", "The remote server hosting the media returned a client error: 404."),
        ("/broken", "The remote server hosting the media returned a server error: 500."),
        ("/loop", "The remote server hosting the media returned too many redirects."),
        (
            "/no-location",
            "The remote server hosting the media failed to include a `location` header in its redirect response.",
        ),
    ],
)
def test_remote_errors(client, files, path, message):
    with pytest.raises(ApiError) as err:
        client.listen.v1.media.transcribe_url(url=files.url + path)
    assert err.value.status_code == 400
    assert err.value.body["err_code"] == "REMOTE_CONTENT_ERROR"
    assert err.value.body["err_msg"] == message


@pytest.mark.parametrize("url", ["ftp://example.com/a.wav", "file:///etc/passwd", "not a url"])
def test_only_http_urls(server, url):
    r = httpx.post(f"{server.url}/v1/listen", json={"url": url}, headers={"Authorization": f"Token {server.key}"})
    assert r.status_code == 400
    assert r.json()["err_code"] == "REMOTE_CONTENT_ERROR"


def test_unreachable_host(server):
    r = httpx.post(
        f"{server.url}/v1/listen",
        json={"url": "http://127.0.0.1:9/x.wav"},
        headers={"Authorization": f"Token {server.key}"},
    )
    assert r.status_code == 400
    assert r.json()["err_msg"] == "The remote server hosting the media failed to return valid data."


def test_private_addresses_refused_by_default():
    # The server under test allows loopback (its tests fetch from one); the default, as Deepgram, does not.
    from opengram.errors import RemoteContentError
    from opengram.speech.source import fetch

    for url in ["http://127.0.0.1/a.wav", "http://10.1.2.3/a.wav", "http://[::1]/a.wav", "http://localhost/a.wav"]:
        with pytest.raises(RemoteContentError, match="publicly routable"):
            asyncio.run(fetch(url, max_bytes=1000, timeout_s=1, max_redirects=1, allow_private=False))
