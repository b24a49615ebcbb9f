"""Where pre-recorded audio comes from: the request body, or a URL fetched with httpx.

Either way the bytes are spooled (memory first, disk past a few MB), hashed as they arrive, and bounded
in size, so a large upload never sits whole in memory twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

import httpx

from opengram.config import Settings
from opengram.errors import PayloadTooLarge, RemoteContentError

_SPOOL_IN_MEMORY = 8 * 1024 * 1024


@dataclass
class AudioSource:
    file: BinaryIO
    sha256: str
    size: int

    def close(self) -> None:
        self.file.close()


async def spool(chunks: AsyncIterator[bytes], max_bytes: int, too_large: Exception) -> AudioSource:
    digest = hashlib.sha256()
    file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 (the AudioSource owns it)
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            digest.update(chunk)
            file.write(chunk)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return AudioSource(file, digest.hexdigest(), size)


async def upload(chunks: AsyncIterator[bytes], max_bytes: int) -> AudioSource:
    return await spool(chunks, max_bytes, PayloadTooLarge(f"Payload size exceeds limit of {max_bytes} bytes."))


async def _check_routable(host: str, port: int) -> None:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port)
    except OSError:
        raise RemoteContentError("Could not determine if URL for media download is publicly routable.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise RemoteContentError("URL for media download must be publicly routable.")


async def fetch(url: str, *, max_bytes: int, timeout_s: float, max_redirects: int, allow_private: bool) -> AudioSource:
    """Download `url` within limits, checking every redirect hop as if it were the first."""
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
        for _hop in range(max_redirects + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise RemoteContentError("Could not parse URL as a URI.")
            if not allow_private:
                await _check_routable(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
            try:
                async with client.stream("GET", url) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise RemoteContentError(
                                "The remote server hosting the media failed to include a `location` header "
                                "in its redirect response."
                            )
                        url = str(response.url.join(location))
                        continue
                    if response.status_code >= 400:
                        kind = "client" if response.status_code < 500 else "server"
                        raise RemoteContentError(
                            f"The remote server hosting the media returned a {kind} error: {response.status_code}."
                        )
                    too_large = RemoteContentError(f"The remote media exceeds the limit of {max_bytes} bytes.")
                    return await spool(response.aiter_bytes(), max_bytes, too_large)
            except httpx.HTTPError:
                raise RemoteContentError("The remote server hosting the media failed to return valid data.") from None
    raise RemoteContentError("The remote server hosting the media returned too many redirects.")


async def fetch_url(url: str, settings: Settings, *, max_bytes: int | None = None) -> AudioSource:
    """`fetch` within the server's limits: `OPENGRAM_FETCH_*`, and `OPENGRAM_MAX_UPLOAD_BYTES` unless `max_bytes`."""
    return await fetch(
        url,
        max_bytes=settings.max_upload_bytes if max_bytes is None else max_bytes,
        timeout_s=settings.fetch_timeout_s,
        max_redirects=settings.fetch_max_redirects,
        allow_private=settings.fetch_allow_private,
    )
