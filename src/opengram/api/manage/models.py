"""Models, globally and per project (spec 8.2): transcription models from the model registry, and TTS voices
(every Aura name an installed voice answers to) from the voice registry."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from opengram.accounts.keys import Principal
from opengram.api.manage.access import access, project_access
from opengram.engines.languages import WHISPER_LANGUAGES
from opengram.errors import NotFound

router = APIRouter(tags=["models"])


class SttModel(BaseModel):
    name: str
    canonical_name: str
    architecture: str
    languages: list[str]
    language: str  # older SDKs read one language on the single-model endpoints
    version: str
    uuid: str
    batch: bool
    streaming: bool
    formatted_output: bool


class TtsModel(BaseModel):
    name: str
    canonical_name: str
    architecture: str
    languages: list[str]
    language: str
    version: str
    uuid: str
    metadata: dict


class ModelList(BaseModel):
    stt: list[SttModel]
    tts: list[TtsModel]


def stt_model(spec) -> SttModel:
    languages = list(WHISPER_LANGUAGES) if "*" in spec.languages else list(spec.languages)
    return SttModel(
        name=spec.key,
        canonical_name=spec.key,
        architecture=spec.arch,
        languages=languages,
        language="multi" if "*" in spec.languages else languages[0],
        version=spec.version,
        uuid=spec.uuid,
        batch=True,
        streaming=True,
        formatted_output=True,
    )


def tts_model(voice) -> TtsModel:
    return TtsModel(
        name=voice.short,
        canonical_name=voice.name,
        architecture=voice.architecture,
        languages=sorted({voice.language, voice.spec.language}),
        language=voice.language,
        version=voice.version,
        uuid=voice.uuid,
        # Deepgram's keys, saying what really speaks: every Aura name here is served by an installed Piper voice.
        metadata={
            "accent": "American" if voice.spec.language == "en-US" else "",
            "age": "Adult",
            "color": "",
            "image": "",
            "sample": "",
            "tags": [t for t in (voice.spec.gender, "piper") if t],
            "use_cases": [],
            "voice": voice.spec.key,
        },
    )


def _models(request: Request) -> ModelList:
    voices = request.app.state.speak.voices.voices.values()
    return ModelList(stt=[stt_model(s) for s in request.app.state.registry.specs], tts=[tts_model(v) for v in voices])


def _model(request: Request, model_id: str) -> SttModel | TtsModel:
    # By UUID as Deepgram does; our own names are accepted too.
    for spec in request.app.state.registry.specs:
        if model_id in (spec.uuid, spec.key):
            return stt_model(spec)
    voice = request.app.state.speak.voices.by_id(model_id)
    if voice is not None:
        return tts_model(voice)
    raise NotFound("A model")


@router.get("/v1/models", response_model=ModelList)
async def list_models(request: Request, include_outdated: bool = False, caller: Principal = Depends(access("models.list"))):
    return _models(request)


@router.get("/v1/models/{model_id}", response_model=SttModel | TtsModel)
async def get_model(model_id: str, request: Request, caller: Principal = Depends(access("models.get"))):
    return _model(request, model_id)


@router.get("/v1/projects/{project_id}/models", response_model=ModelList)
async def list_project_models(
    request: Request, include_outdated: bool = False, caller: Principal = Depends(project_access("projects.models.list"))
):
    return _models(request)


@router.get("/v1/projects/{project_id}/models/{model_id}", response_model=SttModel | TtsModel)
async def get_project_model(
    model_id: str, request: Request, caller: Principal = Depends(project_access("projects.models.get"))
):
    return _model(request, model_id)
