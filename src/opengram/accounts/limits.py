"""Per-project concurrency limits: how many pre-recorded, streaming and TTS requests a project may have in
flight at once (Deepgram's defaults: 100, 50, 15). Past the limit a request is refused with 429.

Counts live in the server process (one event loop, so no lock): with several API processes behind a load
balancer each enforces the limit on its own share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from opengram.errors import DeepgramError, TooManyRequests, TtsTooManyRequests

KINDS = ("prerecorded", "streaming", "tts")


class ConcurrencyLimits:
    def __init__(self, defaults: dict[str, int]):
        self.defaults = defaults
        self._active: Counter[tuple[str, str]] = Counter()

    def active(self, project_id: str, kind: str) -> int:
        return self._active[(project_id, kind)]

    def acquire(self, project_id: str, kind: str, limit: int | None = None) -> None:
        """Take one of the project's slots of this kind, or raise 429 if all are taken."""
        limit = self.defaults[kind] if limit is None else limit
        key = (project_id, kind)
        if self._active[key] >= limit:
            raise refusal(kind)
        self._active[key] += 1

    def release(self, project_id: str, kind: str) -> None:
        key = (project_id, kind)
        self._active[key] -= 1
        if self._active[key] <= 0:
            del self._active[key]

    @contextmanager
    def slot(self, project_id: str, kind: str, limit: int | None = None) -> Iterator[None]:
        self.acquire(project_id, kind, limit)
        try:
            yield
        finally:
            self.release(project_id, kind)


def refusal(kind: str) -> DeepgramError:
    # Deepgram's TTS answers its 429 with its own wording.
    return TtsTooManyRequests() if kind == "tts" else TooManyRequests()
