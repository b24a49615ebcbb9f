"""The `opengram` command: serve the API, and manage keys and projects on the local database."""

from __future__ import annotations

import asyncio
import logging
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from opengram.config import Settings

app = typer.Typer(help="Opengram: a self-hosted speech platform that speaks the Deepgram API.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
projects_app = typer.Typer(help="Projects.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(projects_app, name="projects")
console = Console()

DatabaseUrl = typer.Option(None, "--database-url", envvar="OPENGRAM_DATABASE_URL", help="sqlite:///path or postgresql://…")


def _settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, envvar="OPENGRAM_HOST", help="Address to listen on."),
    port: Optional[int] = typer.Option(None, envvar="OPENGRAM_PORT", help="Port to listen on."),
    database_url: Optional[str] = DatabaseUrl,
    model: Optional[str] = typer.Option(
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


async def _with_session(database_url: str, fn):
    from opengram.store import migrate
    from opengram.store.db import create_engine_for, session_factory

    await asyncio.to_thread(migrate.upgrade, database_url)
    engine = create_engine_for(database_url)
    try:
        async with session_factory(engine).begin() as session:
            return await fn(session)
    finally:
        await engine.dispose()


@keys_app.command("create")
def keys_create(
    project: Optional[str] = typer.Option(None, help="Project id (default: the first project)."),
    comment: str = typer.Option("", help="A note to recognise the key by."),
    scope: list[str] = typer.Option(["member"], "--scope", help="Scopes; repeat for several."),
    tag: list[str] = typer.Option([], "--tag", help="Tags; repeat for several."),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Create an API key and print its secret (shown once)."""
    from sqlalchemy import select

    from opengram.accounts.keys import create_key
    from opengram.accounts.models import Membership
    from opengram.accounts.projects import first_project_id

    settings = _settings(database_url=database_url)

    async def run(session):
        project_id = project or await first_project_id(session)
        if project_id is None:
            raise typer.BadParameter("no project yet: start the server once to create one")
        owner = await session.scalar(
            select(Membership.member_id).where(Membership.project_id == project_id).order_by(Membership.created)
        )
        if owner is None:
            raise typer.BadParameter(f"no such project: {project_id}")
        key, secret = await create_key(
            session, project_id=project_id, member_id=owner, comment=comment, scopes=scope, tags=tag
        )
        return key, secret

    key, secret = asyncio.run(_with_session(settings.database_url, run))
    console.print(f"[bold]api_key_id[/] {key.api_key_id}  [bold]project[/] {key.project_id}", highlight=False)
    print(secret)


@projects_app.command("list")
def projects_list(database_url: Optional[str] = DatabaseUrl) -> None:
    """List projects."""
    from sqlalchemy import select

    from opengram.accounts.models import Project

    settings = _settings(database_url=database_url)

    async def run(session):
        return list(await session.scalars(select(Project).where(Project.deleted_at.is_(None)).order_by(Project.created)))

    table = Table("project_id", "name", "created")
    for p in asyncio.run(_with_session(settings.database_url, run)):
        table.add_row(p.project_id, p.name, p.created.isoformat())
    console.print(table)
