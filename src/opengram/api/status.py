"""GET /v1/status, as Deepgram's self-hosted API answers it (for load balancers and monitors), with the
live capacity beside it: how many streams this node takes, where that figure came from, and how far
behind its decoding is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from opengram.api.services import Services, services

router = APIRouter(tags=["status"])


@router.get("/v1/status")
async def status(services: Services = Depends(services)) -> dict[str, Any]:
    capacity = services.capacity
    return {
        "system_health": "Degraded" if capacity.overloaded() else "Healthy",
        "active_batch_requests": services.listen.scheduler.load,
        "active_stream_requests": capacity.open,
        **capacity.status(),
    }
