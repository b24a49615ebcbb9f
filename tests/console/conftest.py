"""The console's browser tests: Playwright driving Debian's Chromium (`make test` installs it; Playwright's
own browser builds are never downloaded), with a fake microphone that plays a shared recording."""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path

import pytest

from tests import audio

DOCS = Path(__file__).resolve().parents[2] / "docs"
MIC_RECORDING = "jfk_16k.wav"


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def mic_wav(tmp_path_factory) -> Path:
    """The recording, then two seconds of silence so each pass ends an utterance (the fake device loops it)."""
    src = audio.path(MIC_RECORDING)
    out = tmp_path_factory.mktemp("mic") / "mic.wav"
    with wave.open(str(src)) as r:
        params, frames = r.getparams(), r.readframes(r.getnframes())
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(frames + b"\0" * (params.sampwidth * params.nchannels * params.framerate * 2))
    return out


# Module scope: while Playwright's sync API is open it runs an event loop on this thread, and the tests of
# other modules start their own with asyncio.run.
@pytest.fixture(scope="module")
def browser(mic_wav):
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
        pytest.skip("no chromium on PATH (`make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-audio-capture={mic_wav}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def docs_dir() -> Path:
    DOCS.mkdir(exist_ok=True)
    return DOCS
