from __future__ import annotations

import pytest
from deepgram import DeepgramClient, DeepgramClientEnvironment

from tests.server import Server, TempDatabase, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    tmp = tmp_path_factory.mktemp("server")
    db = TempDatabase(tmp)
    srv = start_server(tmp, db)
    yield srv
    srv.stop()
    db.drop()


def sdk_client(server: Server, api_key: str | None = None) -> DeepgramClient:
    """The official deepgram-sdk, pointed at our server exactly as its docs say."""
    env = DeepgramClientEnvironment(
        base=server.url, production=server.ws_url, agent=server.ws_url, agent_rest=server.url
    )
    return DeepgramClient(api_key=api_key or server.key, environment=env)


@pytest.fixture(scope="session")
def client(server) -> DeepgramClient:
    return sdk_client(server)


@pytest.fixture(scope="session")
def files():
    from tests.fileserver import FileServer

    fs = FileServer()
    yield fs
    fs.close()
