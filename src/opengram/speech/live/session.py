"""One live transcription socket, protocol side: audio and control messages in, `Results`, events and the
closing `Metadata` out, over a `realtime.Peer` (the HTTP layer's WebSocket).

Messages in: binary audio (an empty frame is the legacy end of stream), `CloseStream` (transcribe what was
received, send Metadata, close 1000), `Finalize` (cut now), `Configure`, and `KeepAlive` (or anything
else), which only resets the idle timer; nothing from the client for `idle_timeout` closes with 1011
NET-0001. Messages out come from the stream's outbox in order; a `StreamClosed` there ends the socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from opengram.realtime import Peer, PeerGone
from opengram.speech.live.stream import LiveStream, StreamClosed

log = logging.getLogger("opengram.listen_ws")

FINISH_TIMEOUT_S = 120.0  # after CloseStream, the longest the last decodes may take before 1011

Message = dict[str, Any]
Shape = Callable[[Message], Message | None]  # a message as another API version sends it, or None
Relay = Callable[[Message], None]  # a copy of every message sent (the `callback` of a stream)


class ListenSession:
    def __init__(
        self,
        peer: Peer,
        stream: LiveStream,
        *,
        idle_timeout: float,
        relay: Relay | None = None,
        shape: Shape | None = None,
    ):
        self.peer = peer
        self.stream = stream
        self.idle_timeout = idle_timeout
        self.relay = relay
        self.shape = shape

    async def run(self) -> tuple[int, str]:
        """Run the stream to its end; returns the close code and reason it ended with."""
        stream = self.stream
        sender = asyncio.create_task(self._send_loop())
        receiver = asyncio.create_task(self._receive_loop())
        done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        if sender in done:  # an error close (StreamClosed) or the client went away while we sent
            receiver.cancel()
            result = sender.result() if not sender.cancelled() and sender.exception() is None else (1011, "NET-0000")
            await asyncio.gather(receiver, return_exceptions=True)
            return result
        outcome = receiver.result() if receiver.exception() is None else ("error", None)
        kind = outcome[0]
        if kind == "close":  # CloseStream: everything received is transcribed and sent, then Metadata
            try:
                await asyncio.wait_for(stream.finish(), FINISH_TIMEOUT_S)
            except TimeoutError:
                log.error("stream %s: could not finish transcribing within %s s", stream.request_id, FINISH_TIMEOUT_S)
                stream.outbox.put_nowait(StreamClosed(1011, "NET-0000"))
                return await sender
            if stream.error is None:
                stream.outbox.put_nowait(stream.metadata())
                stream.outbox.put_nowait(StreamClosed(1000, ""))
            return await sender
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        if kind == "idle":
            await self.peer.close(1011, "NET-0001")
            return 1011, "NET-0001"
        return 1000, "client disconnected"

    async def _send_loop(self) -> tuple[int, str]:
        while True:
            item = await self.stream.outbox.get()
            if isinstance(item, StreamClosed):
                await self.peer.close(item.code, item.reason)
                return item.code, item.reason
            assert isinstance(item, dict)
            message: Message | None = item if self.shape is None else self.shape(item)
            if message is None:
                continue
            if self.relay is not None:
                self.relay(message)
            try:
                await self.peer.send_text(json.dumps(message, separators=(",", ":")))
            except (PeerGone, RuntimeError, OSError):
                return 1000, "client disconnected"

    async def _receive_loop(self) -> tuple[str, Any]:
        stream = self.stream
        while True:
            try:
                received = await asyncio.wait_for(self.peer.receive(), timeout=self.idle_timeout)
            except TimeoutError:
                return ("idle", None)
            except PeerGone:
                return ("gone", None)
            if isinstance(received, bytes):
                if not received:  # the legacy end of stream: an empty binary frame
                    return ("close", None)
                await stream.feed(received)
                continue
            try:
                control = json.loads(received)
            except ValueError:
                control = None
            kind = control.get("type") if isinstance(control, dict) else None
            if kind == "CloseStream":
                return ("close", None)
            if kind == "Finalize":
                channel = control.get("channel")
                await stream.control("finalize", channel if isinstance(channel, int) else None)
            elif kind == "Configure":
                stream.outbox.put_nowait(stream.configure(control))
            # KeepAlive (and anything unknown) only resets the idle timer.
