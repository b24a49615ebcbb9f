"""`opengram usage`: a project's request log, one request, and its usage summary, from a server."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from opengram.commands.common import ProjectOption, ServerKey, ServerUrl, call, connect, console, key_project, when

app = typer.Typer(help="Request log and usage.", no_args_is_help=True)


@app.command("requests")
def requests(
    project: str | None = ProjectOption,
    limit: int = typer.Option(20, min=1, max=1000),
    start: str | None = typer.Option(None, help="YYYY-MM-DD or an ISO time"),
    end: str | None = typer.Option(None, help="YYYY-MM-DD or an ISO time"),
    failed: bool = typer.Option(False, "--failed", help="Only failed requests."),
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """The newest requests first."""
    client = connect(url, key)
    options = {"limit": limit, "start": start, "end": end, "status": "failed" if failed else None}

    async def go():
        return await client.usage.list_requests(await key_project(client, project), options)

    table = Table("created", "request_id", "key", "path", "method", "code", "audio s", "model", "usd")
    for r in call(go())["requests"]:
        details = (r.get("response") or {}).get("details") or {}
        table.add_row(
            when(r["created"]),
            r["request_id"],
            r.get("api_key_id") or "",
            r["path"],
            details.get("method", ""),
            str(r.get("code", "")),
            f"{details.get('duration', 0):.1f}",
            details.get("model") or "",
            f"{details.get('usd', 0):.4f}",
        )
    console.print(table)


@app.command("request")
def request(
    request_id: str, project: str | None = ProjectOption, url: str = ServerUrl, key: str | None = ServerKey
) -> None:
    """One request of the log, as JSON."""
    client = connect(url, key)

    async def go():
        return await client.usage.get_request(await key_project(client, project), request_id)

    print(json.dumps(call(go()), indent=2))


@app.command("summary")
def summary(
    project: str | None = ProjectOption,
    start: str | None = typer.Option(None, help="YYYY-MM-DD"),
    end: str | None = typer.Option(None, help="YYYY-MM-DD"),
    resolution: str = typer.Option("day", help="hour, day or month"),
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """Requests, audio hours and TTS characters per day (or hour, or month)."""
    client = connect(url, key)
    options = {"start": start, "end": end, "resolution": resolution}

    async def go():
        return await client.usage.get_usage(await key_project(client, project), options)

    table = Table("period", "requests", "audio hours", "tts characters")
    for r in call(go())["results"]:
        table.add_row(r["start"], str(r["requests"]), f"{r['hours']:.3f}", str(r.get("tts", {}).get("characters", 0)))
    console.print(table)
