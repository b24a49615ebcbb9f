"""`deepgram.speak`: text to speech over POST /v1/speak (spec section 4). Not in the old SDK, which predates
Deepgram's TTS; here so the command line reaches every endpoint through this client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opengram.client._http import Options, request


class Speak:
    def __init__(self, options: Options):
        self.options = options

    async def generate(self, text: str, options: Mapping[str, Any] | None = None, **kwargs: Any) -> bytes:
        """The audio for `text`; options are `model`, `encoding`, `container`, `sample_rate`, `bit_rate`…"""
        return await request(
            self.options, "POST", "/speak", params={**(options or {}), **kwargs}, json={"text": text}, raw=True
        )
