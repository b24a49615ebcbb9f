"""Management tests share the session server; each test makes its own tenant so none disturbs another."""

from __future__ import annotations

import httpx
import pytest
from deepgram.core.api_error import ApiError

from tests import audio
from tests.conftest import sdk_client
from tests.tenants import make_tenant


@pytest.fixture
def tenant(server):
    return make_tenant(server.db)


@pytest.fixture
def as_role(server, tenant):
    """`as_role("admin")`: the official SDK with that role's key in the tenant."""
    return lambda role: sdk_client(server, tenant.keys[role])


def api_error(call) -> ApiError:
    with pytest.raises(ApiError) as err:
        call()
    return err.value


def listen_status(server, key: str, scheme: str = "Token") -> int:
    """POST /v1/listen with a one-second clip; the status says whether the credential works."""
    r = httpx.post(
        f"{server.url}/v1/listen",
        content=audio.read("cards_001.wav"),
        headers={"Authorization": f"{scheme} {key}"},
        timeout=60,
    )
    return r.status_code
