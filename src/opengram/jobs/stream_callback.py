"""`callback=` on a live stream: every message the stream sends is also relayed to the customer's server.

Seed 003: with an `http(s)://` callback each streaming response is sent there as its own request (the
streaming `callback_method`, POST by default); with `ws(s)://` one WebSocket is opened to the callback
server and each response goes as a text message, and if that socket drops the whole stream is killed,
so live connections and callback connections stay one to one. Messages go out in order, on a task of
their own, so a slow receiver never holds up the client's socket. The client still gets every message
too (SDKs read the stream's socket whatever else is asked).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from opengram.jobs.accept import CALLBACK_PORTS

log = logging.getLogger("opengram.stream_callback")

HTTP_ATTEMPTS = 3  # per message; a live relay cannot wait long for one message
HTTP_BACKOFF_S = 0.5
BACKLOG = 1000  # messages waiting for a slow receiver before the relay gives up on it


def valid_stream_callback(url: str, allow_private: bool) -> bool:
    try:
        parts = urlsplit(url)
        secure = parts.scheme in ("https", "wss")
        port = parts.port or (443 if secure else 80)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        return False
    return allow_private or port in CALLBACK_PORTS


class StreamCallback:
    """The relay of one stream. `on_lost` is called once if a WebSocket callback fails (the stream must end)."""

    def __init__(self, url: str, method: str, api_key_id: str | None, timeout: float, on_lost: Callable[[], None]):
        self.url = url
        self.method = method.upper()
        self.websocket = urlsplit(url).scheme in ("ws", "wss")
        self.headers = {"dg-token": api_key_id or ""}
        self.timeout = timeout
        self.on_lost = on_lost
        self.delivered = 0
        self.failed = 0
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._socket: ClientConnection | None = None
        self._http: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = False

    async def open(self) -> None:
        """Connect a WebSocket callback before the stream starts; raises if the receiver cannot be reached."""
        if self.websocket:
            self._socket = await asyncio.wait_for(
                connect(self.url, additional_headers=self.headers, open_timeout=self.timeout), self.timeout
            )
        else:
            self._http = httpx.AsyncClient(timeout=self.timeout)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="stream-callback")

    def send(self, message: dict[str, Any]) -> None:
        if self._lost:
            return
        if self._queue.qsize() >= BACKLOG:
            self._lose(f"{BACKLOG} messages behind")
            return
        self._queue.put_nowait(message)

    async def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (up to `timeout`), then hang up."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except Exception:  # a timeout or a failed delivery task: either way, stop waiting
            self._task.cancel()
        if self._socket is not None:
            await self._socket.close()
        if self._http is not None:
            await self._http.aclose()
        log.info("callback %s: %d delivered, %d failed", self.url, self.delivered, self.failed)

    def _lose(self, why: str) -> None:
        if not self._lost:
            self._lost = True
            log.warning("stream callback %s lost: %s", self.url, why)
            self.on_lost()

    async def _run(self) -> None:
        while (message := await self._queue.get()) is not None:
            if self._lost:
                continue
            text = json.dumps(message, separators=(",", ":"))
            if self._socket is not None:
                try:
                    await self._socket.send(text)
                    self.delivered += 1
                except (WebSocketException, OSError) as exc:
                    self._lose(repr(exc))
            else:
                await self._post(text)

    async def _post(self, text: str) -> None:
        assert self._http is not None
        headers = {**self.headers, "content-type": "application/json"}
        for attempt in range(HTTP_ATTEMPTS):
            try:
                response = await self._http.request(self.method, self.url, content=text, headers=headers)
                if response.status_code < 300:
                    self.delivered += 1
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(HTTP_BACKOFF_S * (attempt + 1))
        self.failed += 1
