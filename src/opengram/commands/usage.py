"""`opengram usage`: the request log and the usage summary of a project."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from opengram.commands.common import DatabaseUrl, ProjectOption, console, project_id, run, when

app = typer.Typer(help="Request log and usage.", no_args_is_help=True)


@app.command("requests")
def requests(
    project: Optional[str] = ProjectOption,
    limit: int = typer.Option(20, min=1, max=1000),
    start: Optional[str] = typer.Option(None, help="YYYY-MM-DD or an ISO time"),
    end: Optional[str] = typer.Option(None, help="YYYY-MM-DD or an ISO time"),
    failed: bool = typer.Option(False, "--failed", help="Only failed requests."),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """The newest requests first."""
    from opengram.accounts.requests import RequestFilter, list_requests
    from opengram.api.manage.wire import parse_when

    where = RequestFilter(
        start=parse_when("start", start), end=parse_when("end", end, end=True), status="failed" if failed else None
    )

    async def go(session):
        return await list_requests(session, await project_id(session, project), where, limit=limit, page=0)

    table = Table("created", "request_id", "key", "path", "method", "code", "audio s", "model", "usd")
    for r in run(database_url, go):
        table.add_row(when(r.created), r.request_id, r.api_key_id or "", r.path, r.method, str(r.code),
                      f"{r.duration:.1f}", r.model or "", f"{r.usd:.4f}")  # fmt: skip
    console.print(table)


@app.command("summary")
def summary(
    project: Optional[str] = ProjectOption,
    start: Optional[str] = typer.Option(None, help="YYYY-MM-DD"),
    end: Optional[str] = typer.Option(None, help="YYYY-MM-DD"),
    resolution: str = typer.Option("day", help="hour, day or month"),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Hours, requests and dollars per day (or hour, or month)."""
    from opengram.accounts import reports
    from opengram.accounts.requests import RequestFilter
    from opengram.api.manage.wire import parse_when

    if resolution not in reports.RESOLUTIONS:
        raise typer.BadParameter("hour, day or month", param_hint="--resolution")
    where = RequestFilter(start=parse_when("start", start), end=parse_when("end", end, end=True), only_succeeded=True)

    async def go(session):
        pid = await project_id(session, project)
        return await reports.aggregate(session, pid, where, resolution=resolution, groups=[])

    table = Table("period", "requests", "audio hours", "tts characters", "usd")
    for (label,), t in sorted(run(database_url, go).items()):
        table.add_row(label, str(t.requests), f"{t.seconds / 3600:.3f}", str(t.tts_characters), f"{t.usd:.4f}")
    console.print(table)
