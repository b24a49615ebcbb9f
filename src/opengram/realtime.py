"""What a realtime session (live listen, live speak, and the realtime APIs to come) needs of its socket.

Sessions live beside their services (`speech/live/session.py`, `voice/session.py`) and speak to the client
through a `Peer`; the HTTP layer (`api/`) owns the handshake and adapts its WebSocket to this protocol. So a
session knows the protocol's messages and its own state, never Starlette.
"""

from __future__ import annotations

from typing import Protocol


class PeerGone(Exception):
    """The client went away: its socket closed (`code`), or a send found it gone."""

    def __init__(self, code: int = 1000):
        super().__init__(code)
        self.code = code


class Peer(Protocol):
    async def receive(self) -> bytes | str:
        """The next message: binary (bytes) or text. Raises `PeerGone` when the client has gone."""
        ...

    async def send_text(self, text: str) -> None:
        """Raises `PeerGone` if the client has gone."""
        ...

    async def send_bytes(self, data: bytes) -> None:
        """Raises `PeerGone` if the client has gone."""
        ...

    async def close(self, code: int, reason: str = "") -> None:
        """Send the close frame if both sides are still open; a peer that is gone already is no error."""
        ...
