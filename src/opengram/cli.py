"""The `opengram` command: serve the API; transcribe, speak, and manage projects, keys, members,
invitations, usage and billing on a server (`opengram.commands`, through `opengram.client`)."""

from __future__ import annotations

import logging

import typer

from opengram.commands import GROUPS
from opengram.commands.common import DatabaseUrl
from opengram.commands.speak import speak
from opengram.commands.transcribe import transcribe
from opengram.config import Settings

app = typer.Typer(help="Opengram: a self-hosted speech platform that speaks the Deepgram API.", no_args_is_help=True)
for name, group in GROUPS.items():
    app.add_typer(group, name=name)


def _settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command()
def serve(
    host: str | None = typer.Option(None, envvar="OPENGRAM_HOST", help="Address to listen on."),
    port: int | None = typer.Option(None, envvar="OPENGRAM_PORT", help="Port to listen on."),
    database_url: str | None = DatabaseUrl,
    model: str | None = typer.Option(
        None, envvar="OPENGRAM_MODEL", help="A CTranslate2 Whisper directory (default: the bundled tiny.en)."
    ),
    log_level: str = typer.Option("info", envvar="OPENGRAM_LOG_LEVEL"),
) -> None:
    """Run the Deepgram-compatible API server."""
    import uvicorn

    from opengram.app import create_app

    settings = _settings(host=host, port=port, database_url=database_url, model=model)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=log_level, access_log=False)


app.command()(transcribe)
app.command()(speak)
