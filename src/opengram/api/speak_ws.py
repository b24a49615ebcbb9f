"""WSS /v1/speak: streaming text to speech (spec 5), HTTP side: the handshake and the socket.

The handshake is checked before the upgrade, as on /v1/listen: bad credentials answer HTTP 401, bad
parameters 400 (and 402/429 from admission), each with `dg-request-id` and `dg-error`. After the upgrade
the session (`voice.session.SpeakSession`) runs the protocol over the socket.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

from fastapi import APIRouter, WebSocket

from opengram.api.context import request_context
from opengram.api.handshake import SocketPeer, admit, subprotocol
from opengram.api.services import services_of
from opengram.engines.voices import Voice
from opengram.voice.options import SpeakOptions
from opengram.voice.session import SpeakSession

router = APIRouter()
log = logging.getLogger("opengram.speak_ws")


@router.websocket("/v1/speak")
async def speak_stream(websocket: WebSocket) -> None:
    context = request_context(websocket)
    rid = context.request_id
    services = services_of(websocket)
    settings = services.settings

    def check() -> tuple[SpeakOptions, Voice]:
        options = SpeakOptions.parse(websocket.query_params.multi_items(), streaming=True)
        return options, services.speak.resolve(options.model)

    async with AsyncExitStack() as stack:  # the admission: its end writes the request's row
        admitted_ = await admit(websocket, services, rid, "tts", check, stack)
        if admitted_ is None:
            return
        admitted, (options, voice) = admitted_
        record = admitted.record
        record.update(model=voice.name, models=[voice.uuid], tags=options.tag, config=options.config())
        session: SpeakSession | None = None
        try:
            await websocket.accept(subprotocol=subprotocol(websocket), headers=[(b"dg-request-id", rid.encode())])
            session = SpeakSession(
                SocketPeer(websocket),
                services.speak,
                voice,
                options,
                rid,
                idle_timeout_s=settings.speak_idle_timeout_s,
                max_session_s=settings.speak_max_session_s,
                flush_limit=settings.speak_flush_limit,
            )
            code, reason = await session.run()
            record.row.code, record.row.message = 200, (None if code == 1000 else reason or str(code))
        except Exception:
            log.exception("speak stream %s failed", rid)
            record.row.code, record.row.message = 500, "internal error"
            if session is not None:
                await session.close(1011, "NET-0000")
        finally:
            if session is not None:
                session.abort()
                record.update(characters=session.characters, duration=round(session.seconds, 3))
                context.audio_seconds = record.row.duration
