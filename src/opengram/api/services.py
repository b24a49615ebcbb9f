"""The server's services, built once in the app's lifespan (`app.create_app`) and handed to every route by
one typed dependency:

    @router.post("/v1/read")
    async def read(request: Request, services: Services = Depends(services)): ...

WebSocket routes and other dependencies call `services_of(connection)`. Nothing else reads the app's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from opengram.accounts.billing import Pricing
from opengram.accounts.limits import ConcurrencyLimits
from opengram.config import Settings
from opengram.engines.registry import ModelRegistry
from opengram.jobs.worker import JobWorker
from opengram.speech.live.capacity import LiveCapacity
from opengram.speech.live.schedule import LiveScheduler
from opengram.speech.pipeline import ListenService
from opengram.text.service import TextService
from opengram.voice.service import SpeakService


@dataclass(frozen=True)
class Services:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]  # the database
    pricing: Pricing  # what a request costs (audio minutes, characters)
    token_signing_key: str  # signs /v1/auth/grant's temporary tokens
    limits: ConcurrencyLimits  # concurrent requests per project and kind
    registry: ModelRegistry  # speech-to-text models
    listen: ListenService  # pre-recorded transcription
    live: LiveScheduler  # the decode rounds every live stream shares
    capacity: LiveCapacity  # how many live streams this server takes
    speak: SpeakService  # text to speech (and its voices)
    text: TextService  # text intelligence (/v1/read)
    jobs: JobWorker  # the durable queue of callback= requests


def services_of(conn: HTTPConnection) -> Services:
    """The services of the app serving `conn`: the one place the app's state is read."""
    services: Services = conn.app.state.services
    return services


async def services(conn: HTTPConnection) -> Services:
    """The services, as a FastAPI dependency (HTTP and WebSocket routes alike)."""
    return services_of(conn)
