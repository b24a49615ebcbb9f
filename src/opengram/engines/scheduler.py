"""The one owner of model work: a bounded pool of worker threads beside the event loop.

Model calls block for hundreds of milliseconds, so they never run on the event loop. The scheduler
runs at most `workers` of them at once and lets at most `queue_size` more wait; past that it refuses at
once with 429, because a queue that only grows turns overload into timeouts for everyone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from opengram.errors import TooManyRequests

T = TypeVar("T")


class Scheduler:
    def __init__(self, workers: int = 1, queue_size: int = 32):
        self.workers = workers
        self.capacity = workers + queue_size
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="model")
        self._admitted = 0

    @property
    def load(self) -> int:
        """Jobs running or waiting."""
        return self._admitted

    def ensure_capacity(self) -> None:
        """Refuse before a request does any work (such as receiving its upload) when nothing is free."""
        if self._admitted >= self.capacity:
            raise TooManyRequests()

    async def run(self, fn: Callable[..., T], *args, admit: bool = True) -> T:
        # Only the event loop thread touches `_admitted`, so no lock is needed. A job leaves the count
        # when its thread finishes, not when its caller stops waiting: a cancelled caller's job still
        # occupies a worker until it ends. Background jobs (`admit=False`) wait their turn instead of
        # being refused: they were accepted already, and each job worker runs one at a time.
        if admit:
            self.ensure_capacity()
        loop = asyncio.get_running_loop()
        self._admitted += 1
        job = self._executor.submit(fn, *args)
        job.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release))
        return await asyncio.wrap_future(job)

    def _release(self) -> None:
        self._admitted -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
