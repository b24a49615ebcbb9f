"""`deepgram.transcription`: pre-recorded (async and sync) and live transcription, as the old SDK had them.

A source is `{"url": URL}` or `{"buffer": bytes or a binary file, "mimetype": "audio/wav"}`; options are a
dict, keyword arguments, or both (keywords win)."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from opengram.client._http import DeepgramApiError, Options, error_of, headers, query_string, request, sync_request

log = logging.getLogger("opengram.client")


class LiveTranscriptionEvent(Enum):
    OPEN = "open"
    CLOSE = "close"
    TRANSCRIPT_RECEIVED = "transcript_received"
    ERROR = "error"


# The old SDK's later name for the same enum.
LiveTranscriptionEvents = LiveTranscriptionEvent


def _payload(source: Mapping[str, Any]) -> tuple[Any, dict[str, str] | None, dict[str, str]]:
    """(content, json, headers) for a source."""
    if "buffer" in source:
        if not source.get("mimetype"):
            raise ValueError("DG: Mimetype must be provided if the source is bytes")
        buffer = source["buffer"]
        if isinstance(buffer, (bytes, bytearray, memoryview)):
            data: Any = bytes(buffer)
        elif hasattr(buffer, "read"):
            data = buffer.read()
        else:  # chunks (an async iterator for `prerecorded`), uploaded as they come
            data = buffer
        return data, None, {"Content-Type": source["mimetype"]}
    if "url" in source:
        return None, {"url": source["url"]}, {}
    raise ValueError("DG: a source is {'url': URL} or {'buffer': DATA, 'mimetype': TYPE}")


def _merge(options: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {**(options or {}), **kwargs}


class LiveTranscription:
    """A live stream: `send` audio, `finish` to flush, handlers for the events in `event`.

    TRANSCRIPT_RECEIVED gets every message the server sends, parsed (the last one is the stream's
    metadata, with `sha256`); CLOSE gets the close code; ERROR gets a description."""

    def __init__(self, options: Options, transcription_options: Mapping[str, Any]):
        self.options = options
        self.transcription_options = dict(transcription_options)
        self.handlers: list[tuple[LiveTranscriptionEvent, Callable[[Any], Any]]] = []
        self.received: list[dict[str, Any]] = []
        self.done = False
        self._socket: ClientConnection | None = None
        self._outbox: asyncio.Queue[bytes | str | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []
        self._closed = asyncio.Event()
        self._finishing = False

    @property
    def url(self) -> str:
        return re.sub(r"^http", "ws", self.options["api_url"]) + "/listen" + query_string(self.transcription_options)

    async def __call__(self) -> LiveTranscription:
        try:
            self._socket = await connect(self.url, additional_headers=headers(self.options), ping_interval=5)
        except websockets.InvalidStatus as exc:  # refused before the upgrade: 400, 401, 402, 429
            raise error_of(exc.response.status_code, exc.response.body.decode("utf-8", "replace")) from None
        except (OSError, websockets.InvalidHandshake) as exc:
            raise DeepgramApiError(None, str(exc), f"DG: cannot open {self.url}: {exc}") from None
        self._tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._send())]
        # Handlers registered right after `await live(...)` still see OPEN: it fires on the next turn.
        asyncio.get_running_loop().call_soon(self._ping, LiveTranscriptionEvent.OPEN, self)
        return self

    async def _send(self) -> None:
        assert self._socket is not None
        while True:
            data = await self._outbox.get()
            if data is None:
                return
            try:
                await self._socket.send(data)
            except websockets.ConnectionClosed:
                return

    async def _receive(self) -> None:
        assert self._socket is not None
        try:
            async for message in self._socket:
                try:
                    parsed = json.loads(message)
                except ValueError:
                    self._ping(LiveTranscriptionEvent.ERROR, f"Couldn't parse response JSON: {message!r}")
                    continue
                self.received.append(parsed)
                self._ping(LiveTranscriptionEvent.TRANSCRIPT_RECEIVED, parsed)
        except websockets.ConnectionClosed:
            pass
        finally:
            code, reason = self._socket.close_code, self._socket.close_reason
            if code not in (1000, 1001, None):
                self._ping(LiveTranscriptionEvent.ERROR, f"the server closed the stream: {code} {reason}".strip())
            self.done = True
            self._outbox.put_nowait(None)
            self._ping(LiveTranscriptionEvent.CLOSE, code)
            self._closed.set()

    def _ping(self, event: LiveTranscriptionEvent, body: Any) -> None:
        for handled, handler in list(self.handlers):
            if handled is not event:
                continue
            try:
                result = handler(body)
                if inspect.isawaitable(result):
                    asyncio.ensure_future(result)
            except Exception:  # a user's handler must not kill the stream
                log.exception("live transcription handler for %s failed", event.name)

    # The old SDK's public surface.

    def register_handler(self, event: LiveTranscriptionEvent, handler: Callable[[Any], Any]) -> None:
        self.handlers.append((event, handler))

    registerHandler = register_handler  # noqa: N815 - the seed README's name

    def deregister_handler(self, event: LiveTranscriptionEvent, handler: Callable[[Any], Any]) -> None:
        self.handlers.remove((event, handler))

    deregisterHandler = deregister_handler  # noqa: N815

    def send(self, data: bytes | str) -> None:
        """Queue audio (bytes) or a control message (str) to send."""
        if data == b"":  # the empty frame means "no more audio": `finish` sends it
            self.finish_sending()
            return
        self._outbox.put_nowait(data)

    def keep_alive(self) -> None:
        self._outbox.put_nowait(json.dumps({"type": "KeepAlive"}))

    def toggle_numerals(self, toggle: bool) -> None:
        self._outbox.put_nowait(json.dumps({"type": "Configure", "processors": {"numerals": toggle}}))

    def finish_sending(self) -> None:
        if not self._finishing:  # once: the seed's example sends b"" and then calls finish()
            self._finishing = True
            self._outbox.put_nowait(json.dumps({"type": "CloseStream"}))

    async def finish(self) -> None:
        """Say the audio is over and wait for the last results and the closing metadata."""
        if not self.done:
            self.finish_sending()
        await self._closed.wait()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def event(self) -> type[LiveTranscriptionEvent]:
        return LiveTranscriptionEvent


class Transcription:
    def __init__(self, options: Options):
        self.options = options

    async def prerecorded(
        self, source: Mapping[str, Any], options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict:
        """POST /v1/listen; the response as the server sent it."""
        content, body, extra = _payload(source)
        return await request(
            self.options,
            "POST",
            "/listen",
            params=_merge(options, kwargs),
            json=body,
            content=content,
            extra_headers=extra,
        )

    def sync_prerecorded(
        self, source: Mapping[str, Any], options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict:
        content, body, extra = _payload(source)
        return sync_request(
            self.options,
            "POST",
            "/listen",
            params=_merge(options, kwargs),
            json=body,
            content=content,
            extra_headers=extra,
        )

    async def live(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> LiveTranscription:
        """Open WSS /v1/listen."""
        return await LiveTranscription(self.options, _merge(options, kwargs))()
