"""Models, globally and per project (spec 8.2): transcription models from the model registry, and TTS voices
(every Aura name an installed voice answers to) from the voice registry."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from opengram.accounts.keys import Principal
from opengram.api.manage.access import access, project_access
from opengram.api.services import Services, services
from opengram.engines.languages import WHISPER_LANGUAGES
from opengram.engines.registry import DEEPGRAM_ARCHES, DEEPGRAM_DOMAINS, MULTI, ModelRegistry, ModelSpec
from opengram.engines.voices import Voice
from opengram.errors import NotFound

router = APIRouter(tags=["models"])


class SttModel(BaseModel):
    name: str
    canonical_name: str
    architecture: str
    languages: list[str]
    version: str
    uuid: str
    batch: bool
    streaming: bool
    formatted_output: bool


class TtsMetadata(BaseModel):
    accent: str
    age: str
    color: str
    image: str
    sample: str
    tags: list[str]
    use_cases: list[str]


class TtsModel(BaseModel):
    name: str
    canonical_name: str
    architecture: str
    languages: list[str]
    version: str
    uuid: str
    metadata: TtsMetadata


class ModelList(BaseModel):
    stt: list[SttModel]
    tts: list[TtsModel]


def _architecture(name: str) -> str:
    """Deepgram's architecture of a model name: `nova-3-medical` -> nova-3, a bare domain -> base."""
    for arch in DEEPGRAM_ARCHES:
        if name == arch or name.startswith(arch + "-"):
            return arch
    return "base" if name in DEEPGRAM_DOMAINS else "whisper"


def stt_model(name: str, spec: ModelSpec) -> SttModel:
    """`name` as served by the installed model `spec`: `version` says which engine answers to it (its key and
    the package its weights came from), and `uuid` is the pair's, so GET /v1/models/{uuid} finds it."""
    languages = [*WHISPER_LANGUAGES, MULTI] if spec.multilingual else list(spec.languages)
    arch = _architecture(name)
    domain = name.removeprefix(arch + "-")
    return SttModel(
        name=domain if arch != "whisper" and domain in DEEPGRAM_DOMAINS else name,  # Deepgram: "general"
        canonical_name=name,
        architecture=arch,
        languages=languages,
        version=f"{spec.key}@{spec.version}",
        uuid=spec.uuid if name == spec.key else str(uuid.uuid5(uuid.NAMESPACE_URL, f"opengram:stt:{name}:{spec.uuid}")),
        batch=True,
        streaming=True,
        formatted_output=True,
    )


def tts_model(voice: Voice) -> TtsModel:
    return TtsModel(
        name=voice.short,
        canonical_name=voice.name,
        architecture=voice.architecture,
        languages=sorted({voice.language, voice.spec.language}),
        version=f"{voice.spec.key}@{voice.version}",
        uuid=voice.uuid,
        # Deepgram's keys, saying what really speaks: every Aura name here is served by an installed Piper voice,
        # named in the tags (and in `version`).
        metadata=TtsMetadata(
            accent="American" if voice.spec.language == "en-US" else "",
            age="Adult",
            color="",
            image="",
            sample="",
            tags=[t for t in (voice.spec.gender, "piper", voice.spec.key) if t],
            use_cases=[],
        ),
    )


def _stt_models(registry: ModelRegistry) -> list[SttModel]:
    """Every name a request may give, once per installed model that may serve it (the language picks one)."""
    return [stt_model(name, spec) for name in registry.accepted_names() for spec in registry.candidates(name)]


def _models(services: Services) -> ModelList:
    voices = services.speak.voices.voices.values()
    return ModelList(stt=_stt_models(services.registry), tts=[tts_model(v) for v in voices])


def _model(services: Services, model_id: str) -> SttModel | TtsModel:
    # By UUID as Deepgram does; our own names are accepted too (an engine's key gives its own entry).
    found = next((m for m in _stt_models(services.registry) if model_id in (m.uuid, m.canonical_name)), None)
    if found is not None:
        return found
    voice = services.speak.voices.by_id(model_id)
    if voice is not None:
        return tts_model(voice)
    raise NotFound("A model")


@router.get("/v1/models", response_model=ModelList)
async def list_models(
    services: Services = Depends(services),
    include_outdated: bool = False,
    caller: Principal = Depends(access("models.list")),
) -> ModelList:
    return _models(services)


@router.get("/v1/models/{model_id}", response_model=SttModel | TtsModel)
async def get_model(
    model_id: str, services: Services = Depends(services), caller: Principal = Depends(access("models.get"))
) -> SttModel | TtsModel:
    return _model(services, model_id)


@router.get("/v1/projects/{project_id}/models", response_model=ModelList)
async def list_project_models(
    services: Services = Depends(services),
    include_outdated: bool = False,
    caller: Principal = Depends(project_access("projects.models.list")),
) -> ModelList:
    return _models(services)


@router.get("/v1/projects/{project_id}/models/{model_id}", response_model=SttModel | TtsModel)
async def get_project_model(
    model_id: str,
    services: Services = Depends(services),
    caller: Principal = Depends(project_access("projects.models.get")),
) -> SttModel | TtsModel:
    return _model(services, model_id)
