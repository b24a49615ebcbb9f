"""The model registry (Deepgram names, languages, checksums) and the scheduler's bound."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import pytest

from opengram.engines.registry import ModelRegistry, bundled_tiny_en, custom_model, verify_checksum
from opengram.engines.scheduler import Scheduler
from opengram.errors import NoSuchModel, TooManyRequests


@pytest.fixture
def registry():
    return ModelRegistry([bundled_tiny_en()], loader=lambda spec: object())


@pytest.mark.parametrize(
    "name", [None, "", "nova-3", "nova-3-general", "nova-2-phonecall", "enhanced", "base-meeting", "general",
             "whisper", "whisper-tiny", "whisper-tiny.en"],
)  # fmt: skip
def test_deepgram_names_map_to_tiny_en(registry, name):
    assert registry.resolve(name, "en-US").key == "whisper-tiny.en"


@pytest.mark.parametrize("name,language", [("nova-4", "en"), ("whisper-large", "en"), ("nova-3", "fr"), (None, "ja")])
def test_unknown_combinations(registry, name, language):
    with pytest.raises(NoSuchModel):
        registry.resolve(name, language)


def test_bundled_checksum_is_verified():
    spec = bundled_tiny_en()
    verify_checksum(spec)  # the installed package is intact
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        verify_checksum(dataclasses.replace(spec, sha256="0" * 64))


def test_custom_model_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        custom_model(str(tmp_path))
    (tmp_path / "model.bin").write_bytes(b"")
    spec = custom_model(str(tmp_path))
    assert spec.sha256 is None and spec.speaks("fr")


def test_scheduler_refuses_past_capacity():
    release = threading.Event()

    async def scenario():
        scheduler = Scheduler(workers=1, queue_size=1)
        running = [asyncio.ensure_future(scheduler.run(release.wait)) for _ in range(2)]
        await asyncio.sleep(0.05)
        assert scheduler.load == 2
        with pytest.raises(TooManyRequests):
            await scheduler.run(release.wait)
        release.set()
        await asyncio.gather(*running)
        await asyncio.sleep(0.05)
        assert scheduler.load == 0
        assert await scheduler.run(lambda: 42) == 42
        scheduler.shutdown()

    asyncio.run(scenario())
