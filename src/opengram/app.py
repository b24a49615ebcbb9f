"""The FastAPI application: routers, lifespan (database, bootstrap key, models) and Deepgram error bodies."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from opengram import __version__
from opengram.accounts import tokens
from opengram.accounts.billing import Pricing
from opengram.accounts.bootstrap import bootstrap
from opengram.accounts.limits import ConcurrencyLimits
from opengram.api import auth, listen, listen_ws, manage, read, speak, speak_ws, v2
from opengram.config import Settings
from opengram.engines.asr import WhisperEngine
from opengram.engines.registry import ModelRegistry, bundled_tiny_en, bundled_whisper_base, custom_model
from opengram.engines.scheduler import Scheduler
from opengram.engines.tts import PiperEngine, bundled_joe, custom_voice
from opengram.engines.voices import VoiceRegistry
from opengram.errors import DeepgramError, InternalError, InvalidJson, InvalidQueryParameter
from opengram.jobs.worker import JobWorker
from opengram.speech.pipeline import ListenService
from opengram.speech.streaming import LiveScheduler
from opengram.store import migrate
from opengram.store.db import create_engine_for, session_factory
from opengram.voice.callback import SPEAK_PATH, speak_job
from opengram.voice.service import SpeakService

log = logging.getLogger("opengram")


def build_registry(settings: Settings) -> ModelRegistry:
    specs = [custom_model(settings.model)] if settings.model else []
    bundled = bundled_tiny_en()
    if bundled is not None:
        specs.append(bundled)
    base = bundled_whisper_base(settings.data_dir)  # multilingual; joined into data_dir and loaded on first use
    if base is not None:
        specs.append(base)

    def load(spec):
        return WhisperEngine(
            spec.path,
            device=settings.device,
            compute_type=settings.compute_type,
            cpu_threads=settings.cpu_threads,
            num_workers=settings.workers,
        )

    return ModelRegistry(specs, load)


def build_voices(settings: Settings) -> VoiceRegistry:
    specs = [custom_voice(settings.tts_voice)] if settings.tts_voice else []
    joe = bundled_joe()
    if joe is not None:
        specs.append(joe)
    return VoiceRegistry(specs, lambda spec: PiperEngine(spec, cpu_threads=settings.cpu_threads))


class RequestIdMiddleware:
    """Gives every request a UUID, answered in `dg-request-id`, and logs one line per request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        rid = str(uuid.uuid4())
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        started = time.perf_counter()
        status = {"code": 0}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"dg-request-id", rid.encode()))
            elif message["type"] == "websocket.http.response.start":  # a refused upgrade (its route adds the headers)
                status["code"] = message["status"]
            elif message["type"] == "websocket.accept":
                status["code"] = 101
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request_id=%s key=%s method=%s path=%s status=%s audio_s=%s ms=%.1f",
                rid, state.get("api_key_id", "-"), scope.get("method", "WS"), scope["path"], status["code"],
                state.get("audio_seconds", "-"), (time.perf_counter() - started) * 1000,
            )  # fmt: skip


def error_response(request: Request, error: DeepgramError) -> Response:
    rid = request.scope.get("state", {}).get("request_id", "")
    body = error.body(rid)
    if isinstance(body, str):
        return PlainTextResponse(body, status_code=error.status, headers=error.headers)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await asyncio.to_thread(migrate.upgrade, settings.database_url)
        engine = create_engine_for(settings.database_url)
        app.state.sessions = session_factory(engine, info={"pricing": Pricing(settings.prices)})
        async with app.state.sessions.begin() as session:
            created = await bootstrap(session, settings.bootstrap_key, starting_credit=settings.starting_credit)
            app.state.token_signing_key = await tokens.signing_key(session)
        if created is not None:
            project, secret = created
            print(f"Created project {project.project_id} with its owner's API key (shown once):\n{secret}", flush=True)
        registry = build_registry(settings)
        await asyncio.to_thread(registry.engine, registry.default)  # load and verify before serving
        scheduler = Scheduler(settings.workers, settings.queue_size)
        # Text intelligence has its own worker, so /v1/read never queues behind long transcriptions.
        app.state.text = Scheduler(settings.text_workers, settings.queue_size)
        app.state.registry = registry
        app.state.listen = ListenService(
            registry, scheduler, beam_size=settings.beam_size, max_audio_seconds=settings.max_audio_seconds,
            text=app.state.text,
        )
        app.state.live = LiveScheduler(scheduler, registry, max_batch=settings.live_max_batch)
        app.state.speak = SpeakService(
            build_voices(settings), scheduler, max_characters=settings.speak_max_characters, prices=settings.tts_prices
        )
        # /v1/read's and /v1/speak's callback jobs are run by their own code, on the one durable queue.
        runners = {read.READ_PATH: partial(read.read_job, app.state), SPEAK_PATH: partial(speak_job, app.state)}
        app.state.jobs = JobWorker(app.state, settings, runners)
        app.state.jobs.start()
        voices_loaded = asyncio.create_task(asyncio.to_thread(app.state.speak.load))  # beside start-up, not before
        try:
            yield
        finally:
            await asyncio.gather(voices_loaded, return_exceptions=True)
            await app.state.jobs.stop()
            await app.state.live.stop()
            scheduler.shutdown()
            app.state.text.shutdown()
            await engine.dispose()

    app = FastAPI(title="Opengram", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.limits = ConcurrencyLimits(
        {
            "prerecorded": settings.limit_prerecorded,
            "streaming": settings.limit_streaming,
            "flux": settings.limit_streaming,
            "tts": settings.limit_tts,
            "read": settings.limit_prerecorded,  # /v1/read counts apart, under the pre-recorded limit
        }
    )
    app.add_middleware(RequestIdMiddleware)
    app.include_router(listen.router)
    app.include_router(listen_ws.router)
    app.include_router(read.router)
    app.include_router(speak.router)
    app.include_router(speak_ws.router)
    app.include_router(auth.router)
    app.include_router(manage.router)
    app.include_router(v2.router)

    @app.exception_handler(DeepgramError)
    async def deepgram_error(request: Request, exc: DeepgramError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        if first.get("loc", ("",))[0] == "body":  # management JSON bodies: Deepgram's INVALID_JSON
            return error_response(request, InvalidJson.from_validation(first))
        return error_response(request, InvalidQueryParameter(str(first.get("msg", "invalid request"))))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return error_response(request, InternalError())

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    return app
