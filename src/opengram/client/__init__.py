"""A Python client with the old Deepgram SDK's interface (seed 001), for Opengram or Deepgram.

    from opengram.client import Deepgram

    deepgram = Deepgram({"api_key": KEY, "api_url": "http://localhost:8080"})
    response = deepgram.transcription.sync_prerecorded({"url": URL}, {"punctuate": True})
    projects = await deepgram.projects.list()

Every call returns the JSON the server sent; every failure raises `DeepgramApiError` with `status` and `body`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opengram.client._http import DeepgramApiError, normalize
from opengram.client.billing import Billing
from opengram.client.invitations import Invitations
from opengram.client.keys import Keys
from opengram.client.members import Members
from opengram.client.projects import Projects
from opengram.client.scopes import Scopes
from opengram.client.speak import Speak
from opengram.client.transcription import (
    LiveTranscription,
    LiveTranscriptionEvent,
    LiveTranscriptionEvents,
    Transcription,
)
from opengram.client.usage import Usage

__all__ = [
    "Deepgram", "DeepgramApiError", "LiveTranscription", "LiveTranscriptionEvent", "LiveTranscriptionEvents",
]  # fmt: skip


class Deepgram:
    """`Deepgram(API_KEY)` or `Deepgram({"api_key": …, "api_url": …, "auth_method": "Token", "timeout": 300})`.

    `api_url` defaults to $OPENGRAM_URL, else `http://localhost:8080`; a server root works as well as one
    ending in `/v1` (Deepgram's own is `https://api.deepgram.com/v1`)."""

    def __init__(self, options: str | Mapping[str, Any]):
        self.options = normalize(options)

    @property
    def transcription(self) -> Transcription:
        return Transcription(self.options)

    @property
    def projects(self) -> Projects:
        return Projects(self.options)

    @property
    def keys(self) -> Keys:
        return Keys(self.options)

    @property
    def members(self) -> Members:
        return Members(self.options)

    @property
    def scopes(self) -> Scopes:
        return Scopes(self.options)

    @property
    def invitations(self) -> Invitations:
        return Invitations(self.options)

    @property
    def usage(self) -> Usage:
        return Usage(self.options)

    @property
    def billing(self) -> Billing:
        return Billing(self.options)

    @property
    def speak(self) -> Speak:
        return Speak(self.options)
