"""Models, globally and per project (spec 8.2), read from the model registry. TTS models come later."""

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


class ModelList(BaseModel):
    stt: list[SttModel]
    tts: list[dict]


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


def _models(request: Request) -> ModelList:
    return ModelList(stt=[stt_model(s) for s in request.app.state.registry.specs], tts=[])


def _model(request: Request, model_id: str) -> SttModel:
    # By UUID as Deepgram does; our own names are accepted too.
    for spec in request.app.state.registry.specs:
        if model_id in (spec.uuid, spec.key):
            return stt_model(spec)
    raise NotFound("A model")


@router.get("/v1/models", response_model=ModelList)
async def list_models(request: Request, include_outdated: bool = False, caller: Principal = Depends(access("models.list"))):
    return _models(request)


@router.get("/v1/models/{model_id}", response_model=SttModel)
async def get_model(model_id: str, request: Request, caller: Principal = Depends(access("models.get"))):
    return _model(request, model_id)


@router.get("/v1/projects/{project_id}/models", response_model=ModelList)
async def list_project_models(
    request: Request, include_outdated: bool = False, caller: Principal = Depends(project_access("projects.models.list"))
):
    return _models(request)


@router.get("/v1/projects/{project_id}/models/{model_id}", response_model=SttModel)
async def get_project_model(
    model_id: str, request: Request, caller: Principal = Depends(project_access("projects.models.get"))
):
    return _model(request, model_id)
