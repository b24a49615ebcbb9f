"""The FastAPI application: routers, lifespan (database, bootstrap key, models) and Deepgram error bodies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from opengram import __version__
from opengram.accounts import tokens
from opengram.accounts.billing import PriceList, Pricing
from opengram.accounts.bootstrap import bootstrap
from opengram.accounts.limits import ConcurrencyLimits
from opengram.api import auth, console, listen, listen_ws, manage, read, speak, speak_ws, status, v2
from opengram.api.context import SCOPE_KEY, RequestContext, RequestContextMiddleware
from opengram.api.services import Services
from opengram.config import Settings
from opengram.engines.asr import WhisperEngine
from opengram.engines.registry import ModelRegistry, ModelSpec, bundled_tiny_en, bundled_whisper_base, custom_model
from opengram.engines.scheduler import Scheduler
from opengram.engines.tts import PiperEngine, bundled_joe, custom_voice
from opengram.engines.voices import VoiceRegistry
from opengram.errors import DeepgramError, InternalError, InvalidJson, InvalidQueryParameter
from opengram.jobs.worker import JobWorker
from opengram.speech.callback import listen_job
from opengram.speech.decoding import decode_options
from opengram.speech.live.capacity import LiveCapacity
from opengram.speech.live.schedule import LiveScheduler
from opengram.speech.options import ListenOptions
from opengram.speech.pipeline import ListenService
from opengram.store import migrate
from opengram.store.db import create_engine_for, session_factory
from opengram.text.service import READ_PATH, TextService, read_job
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

    def load(spec: ModelSpec) -> WhisperEngine:
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


def error_response(request: Request, error: DeepgramError) -> Response:
    context: RequestContext | None = request.scope.get(SCOPE_KEY)
    rid = context.request_id if context is not None else ""
    body = error.body(rid)
    if isinstance(body, str):
        return PlainTextResponse(body, status_code=error.status, headers=error.headers)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


# What the live capacity is measured on: real speech from our own voice (speech/live/capacity.py).
CALIBRATION_TEXT = (
    "Good morning, and thank you for calling. I would like to check the status of my order, which was placed "
    "last Tuesday and has not arrived yet. Could you tell me when it will be delivered?"
)


async def calibrate_live(services: Services, voices_loaded: asyncio.Task[None]) -> None:
    """Measure this machine for the live capacity, once the voices are loaded (beside serving, not before);
    nothing to measure when a setting fixes it."""
    await asyncio.gather(voices_loaded, return_exceptions=True)
    if services.capacity.source == "setting":
        return
    try:
        speech = await asyncio.to_thread(services.speak.samples, CALIBRATION_TEXT, 16000)
        decoder = await asyncio.to_thread(services.live.decoder, services.registry.default)
        options = decode_options(ListenOptions(), services.settings.beam_size)
        await services.listen.scheduler.run(services.capacity.calibrate, decoder, speech, options, admit=False)
    except Exception:
        log.exception("live capacity calibration failed: streams are refused only when decoding falls behind")
        services.capacity.source = "uncalibrated"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate.upgrade, settings.database_url)
        engine = create_engine_for(settings.database_url)
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            created = await bootstrap(session, settings.bootstrap_key, starting_credit=settings.starting_credit)
            token_signing_key = await tokens.signing_key(session)
        if created is not None:
            project, secret = created
            print(f"Created project {project.project_id} with its owner's API key (shown once):\n{secret}", flush=True)
        registry = build_registry(settings)
        await asyncio.to_thread(registry.engine, registry.default)  # load and verify before serving
        scheduler = Scheduler(settings.workers, settings.queue_size)
        # Text intelligence has its own worker, so /v1/read never queues behind long transcriptions.
        text = TextService(Scheduler(settings.text_workers, settings.queue_size))
        listen = ListenService(
            registry,
            scheduler,
            beam_size=settings.beam_size,
            max_audio_seconds=settings.max_audio_seconds,
            text=text.scheduler,
        )
        speak = SpeakService(build_voices(settings), scheduler, max_characters=settings.speak_max_characters)
        pricing = Pricing(audio=PriceList(settings.prices), speech=PriceList(settings.tts_prices))
        # Every callback= job is run by its endpoint's own runner, on the one durable queue.
        jobs = JobWorker(
            sessions,
            settings,
            pricing,
            runners={READ_PATH: partial(read_job, text), SPEAK_PATH: partial(speak_job, speak, settings)},
            default=partial(listen_job, listen, settings),
        )
        live = LiveScheduler(scheduler, registry, max_batch=settings.live_max_batch)
        services = Services(
            settings=settings,
            sessions=sessions,
            pricing=pricing,
            token_signing_key=token_signing_key,
            limits=ConcurrencyLimits(
                {
                    "prerecorded": settings.limit_prerecorded,
                    "streaming": settings.limit_streaming,
                    "flux": settings.limit_streaming,  # Flux's own pool (/v2/listen), under the streaming limit
                    "tts": settings.limit_tts,
                    "read": settings.limit_prerecorded,  # /v1/read counts apart, under the pre-recorded limit
                }
            ),
            registry=registry,
            listen=listen,
            live=live,
            capacity=LiveCapacity(live, settings.live_capacity, settings.live_behind_s),
            speak=speak,
            text=text,
            jobs=jobs,
        )
        app.state.services = services  # read by `api.services` only
        jobs.start()
        voices_loaded = asyncio.create_task(asyncio.to_thread(speak.load))  # beside start-up, not before
        calibrated = asyncio.create_task(calibrate_live(services, voices_loaded))
        try:
            yield
        finally:
            calibrated.cancel()
            await asyncio.gather(voices_loaded, calibrated, return_exceptions=True)
            await jobs.stop()
            await services.live.stop()
            scheduler.shutdown()
            text.scheduler.shutdown()
            await engine.dispose()

    app = FastAPI(title="Opengram", version=__version__, lifespan=lifespan)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(listen.router)
    app.include_router(listen_ws.router)
    app.include_router(read.router)
    app.include_router(speak.router)
    app.include_router(speak_ws.router)
    app.include_router(auth.router)
    app.include_router(manage.router)
    app.include_router(v2.router)
    app.include_router(console.router)
    app.include_router(status.router)

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
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
