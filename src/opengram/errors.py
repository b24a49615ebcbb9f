"""Deepgram's error catalogue as exceptions, each rendering its exact wire body.

Deepgram speaks three error shapes (spec section 9.1): the legacy `{err_code, err_msg, request_id}` of the
inference endpoints, the modern `{category, message, details, request_id}` of management, and plain text
for path parsing. One handler in `app.py` renders them all.
"""

from __future__ import annotations

import logging
from typing import Any


class DeepgramError(Exception):
    """Base: legacy shape. Subclasses set `status`, `code` and `message`."""

    status = 500
    code = "INTERNAL_SERVER_ERROR"
    message = "Internal server error."

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None):
        if message is not None:
            self.message = message
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self, request_id: str) -> dict[str, Any] | str:
        return {"err_code": self.code, "err_msg": self.message, "request_id": request_id}


class ModernError(DeepgramError):
    """The `{category, message, details}` shape used by management endpoints."""

    details = ""

    def __init__(self, details: str | None = None, **kw: Any):
        if details is not None:
            self.details = details
        super().__init__(**kw)

    def body(self, request_id: str) -> dict[str, Any]:
        return {"category": self.code, "message": self.message, "details": self.details, "request_id": request_id}


class PlainTextError(DeepgramError):
    """Errors Deepgram answers as text/plain."""

    def body(self, request_id: str) -> str:
        return self.message


class InvalidAuth(DeepgramError):
    status, code, message = 401, "INVALID_AUTH", "Invalid credentials."


class InsufficientPermissions(DeepgramError):
    status, code, message = 401, "INSUFFICIENT_PERMISSIONS", "User does not have sufficient permissions."


class BadRequest(DeepgramError):
    status, code = 400, "Bad Request"


class CorruptAudio(BadRequest):
    message = "Bad Request: failed to process audio: corrupt or unsupported data"


class BadJsonPayload(BadRequest):
    message = "Content-type was application/json, but we could not process the JSON payload."


class NoSuchModel(BadRequest):
    message = "Bad Request: No such model/language/tier combination found."


class InvalidQueryParameter(DeepgramError):
    status, code = 400, "INVALID_QUERY_PARAMETER"

    def __init__(self, detail: str):
        super().__init__(f"Failed to deserialize query parameters: {detail}")


class InvalidCallback(DeepgramError):
    status, code, message = 400, "INVALID_QUERY_PARAMETER", "Invalid callback url."


class RemoteContentError(DeepgramError):
    status, code = 400, "REMOTE_CONTENT_ERROR"


class InvalidJson(ModernError):
    status, code, message = 400, "INVALID_JSON", "Invalid JSON submitted."

    @classmethod
    def from_validation(cls, error: dict[str, Any]) -> InvalidJson:
        """From a pydantic error on a JSON body, worded like Deepgram's (serde's) messages."""
        field = ".".join(str(p) for p in error.get("loc", ())[1:] if not isinstance(p, int)) or "body"
        if error.get("type") == "missing":
            detail = f"missing field `{field}`"
        elif error.get("type") == "json_invalid":
            detail = str(error.get("ctx", {}).get("error", error.get("msg", "invalid JSON")))
        else:
            detail = f"invalid value for `{field}`: {error.get('msg', 'invalid')}"
        return cls(f"Json deserialize error: {detail}")


class PayloadTooLarge(DeepgramError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class ProjectNotFound(DeepgramError):
    status, code, message = 404, "PROJECT_NOT_FOUND", "Project not found."


class UuidParsingFailed(PlainTextError):
    status = 404


class TooManyRequests(DeepgramError):
    status, code, message = 429, "TOO_MANY_REQUESTS", "Too many requests. Please try again later"


class InternalError(DeepgramError):
    status, code, message = 500, "INTERNAL_SERVER_ERROR", "An internal server error occurred."


# Management and billing (issue 5).


class NotFound(ModernError):
    """A management resource that does not exist, or that the caller may not see."""

    status, code = 404, "NOT_FOUND"

    def __init__(self, what: str):
        self.message = f"{what} with the submitted ID cannot be found."
        super().__init__(
            f"Check that you have submitted the intended ID and that the {what.split(' ', 1)[-1]} has not been deleted."
        )


class InvalidRequest(ModernError):
    """A well-formed management request that cannot be carried out as asked."""

    status, code, message = 400, "INVALID_REQUEST", "Invalid request."


class InvalidMemberScope(PlainTextError):
    status, message = 400, "Invalid request: scope must be either 'member', 'admin' or 'owner'."


class Forbidden(DeepgramError):
    status, code, message = 403, "FORBIDDEN", "Insufficient permissions."


class PaymentRequired(DeepgramError):
    status, code = 402, "ASR_PAYMENT_REQUIRED"
    message = "Project does not have enough credits for an ASR request and does not have an overage agreement."


class TtsTooManyRequests(DeepgramError):
    status, code, message = 429, "Too Many Requests", "Please try again later."


# Text to speech (spec 4.4): Deepgram's own wording for /v1/speak.


class NoSuchVoice(BadRequest):
    message = "Bad Request: No such model/version combination found."


class UnsupportedAudioFormat(DeepgramError):
    """An encoding/container/sample_rate/bit_rate combination that TTS cannot produce."""

    status, code = 400, "INVALID_QUERY_PARAMETER"

    def __init__(self, detail: str):
        super().__init__(f"Unsupported audio format: {detail}")


# Text input (/v1/speak, /v1/read).


class PayloadError(DeepgramError):
    status, code = 400, "PAYLOAD_ERROR"
    message = "Failed to deserialize JSON payload. Please specify exactly one of `text` or `url` in the JSON body."


class EmptyText(BadRequest):
    message = "Input text contains no characters."


class TextTooLong(DeepgramError):
    status, code = 413, "Payload Too Large"

    def __init__(self, limit: int):
        super().__init__(f"Input text exceeds maximum character limit of {limit}.")


class UnsupportedMediaType(DeepgramError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"
    message = (
        "`Content-Type` header is not supported. `Content-Type` must be either `text/plain` or `application/json`."
    )


# The legacy v2 API (seed 003).


class ResourceNotFound(DeepgramError):
    status, code, message = 404, "NOT_FOUND", "The specified resource was not found."


def client_error(exc: BaseException, log: logging.Logger, what: str) -> DeepgramError:
    """What the client is told of `exc`: itself when it is one of ours, else a 500; the unexpected one is
    logged with its traceback, as `what` failed."""
    if isinstance(exc, DeepgramError):
        return exc
    log.exception("%s failed", what)
    return InternalError()
