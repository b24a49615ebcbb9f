"""The web console at /console: a single-page app, built from `console/` at the repository root into the
package's `console_dist/` (committed, so serving it needs no Node). The page calls the public API from the
browser with the key its user signs in with; this module only serves files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response

DIST = Path(__file__).resolve().parent.parent / "console_dist"

# Everything the page needs comes from this server: no CDN, no inline script, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; worker-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
}

router = APIRouter(include_in_schema=False)


def _file(path: Path, cache: str) -> Response:
    return FileResponse(path, headers={**SECURITY_HEADERS, "Cache-Control": cache})


@router.api_route("/console", methods=["GET", "HEAD"])
@router.api_route("/console/{name:path}", methods=["GET", "HEAD"])
async def console_file(name: str = "") -> Response:
    if name in ("", "index.html"):
        index = DIST / "index.html"
        if not index.is_file():
            return PlainTextResponse("The console is not built: run `make console`.", status_code=404)
        return _file(index, "no-cache")
    target = (DIST / name).resolve()
    if not target.is_relative_to(DIST) or not target.is_file():
        return PlainTextResponse("Not found", status_code=404, headers=SECURITY_HEADERS)
    # Vite names bundles by their content hash, so they never change under one name.
    cache = "public, max-age=31536000, immutable" if name.startswith("assets/") else "no-cache"
    return _file(target, cache)
