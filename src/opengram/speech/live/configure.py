"""Deepgram's mid-stream `Configure` on /v1/listen: new keyterms and feature flags for what comes next.

`{"type": "Configure", "keyterms": [...], "features": {"numerals": true}}` answers `ConfigureSuccess`
(echoing `keyterms` when they were replaced) or `ConfigureFailure` with Deepgram's codes, and nothing
changes on a failure. Keyterms replace the whole list (the `keyterm` query's too); `[]` clears it and a
missing or null field keeps it. As with Deepgram, only Nova-3 names take keyterm updates; our own model
names (`whisper-*`, a custom directory) take them too, since every model here honours keyterms.
"""

from __future__ import annotations

from typing import Any

from opengram.speech.options import MAX_KEYTERM_TOKENS, ListenOptions

# Boolean options a stream may turn on or off mid-way: each is applied per segment to the text.
CONFIGURABLE_FEATURES = (
    "punctuate", "smart_format", "numerals", "profanity_filter", "dictation", "detect_entities", "no_delay",
)  # fmt: skip
# Deepgram model names whose keyterms are not Nova-3's (`CONFIGURE_KEYTERMS_NOT_SUPPORTED` there).
_NO_KEYTERM_PREFIXES = ("nova-2", "enhanced", "base")
# A malformed Configure: Deepgram's four codes do not cover it (the SDK's code type admits any string).
INVALID = "CONFIGURE_INVALID"
_NO_KEYTERM_NAMES = {"nova", "general", "meeting", "phonecall", "finance", "conversationalai", "voicemail", "video"}


class ConfigureRefused(Exception):
    """A Configure that changes nothing: Deepgram's failure `code` and a `description`."""

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code, self.description = code, description


def takes_keyterms(model: str | None) -> bool:
    name = (model or "").strip().lower()
    if name in _NO_KEYTERM_NAMES or (name.startswith("nova-") and not name.startswith("nova-3")):
        return False
    return not name.startswith(_NO_KEYTERM_PREFIXES)


def configured(options: ListenOptions, message: dict[str, Any]) -> tuple[ListenOptions, dict[str, Any]]:
    """The options after `message`, and what a `ConfigureSuccess` reports; raises ConfigureRefused."""
    update: dict[str, Any] = {}
    report: dict[str, Any] = {}
    keyterms = message.get("keyterms")
    if keyterms is not None:
        if not isinstance(keyterms, list) or not all(isinstance(t, str) and t.strip() for t in keyterms):
            raise ConfigureRefused(INVALID, "`keyterms` must be an array of non-empty strings.")
        if not takes_keyterms(options.model):
            raise ConfigureRefused(
                "CONFIGURE_KEYTERMS_NOT_SUPPORTED",
                f"Model {options.model!r} does not support keyterm updates; Nova-3 models do.",
            )
        # Words stand in for model tokens, as for the `keyterm` query parameter.
        if sum(len(term.split()) for term in keyterms) > MAX_KEYTERM_TOKENS:
            raise ConfigureRefused(
                "CONFIGURE_KEYTERM_LIMIT_EXCEEDED",
                f"Keyterm limit exceeded. The maximum number of tokens across all keyterms is {MAX_KEYTERM_TOKENS}.",
            )
        update["keyterm"] = [t.strip() for t in keyterms]
        report["keyterms"] = update["keyterm"]
    features = message.get("features")
    if features is not None:
        if not isinstance(features, dict):
            raise ConfigureRefused(INVALID, "`features` must be an object of booleans.")
        for name, value in features.items():
            if name not in CONFIGURABLE_FEATURES or not isinstance(value, bool):
                allowed = ", ".join(CONFIGURABLE_FEATURES)
                raise ConfigureRefused(
                    INVALID,
                    f"Feature {name!r} cannot be set mid-stream (to {value!r}); features take booleans: {allowed}.",
                )
            update[name] = value
    return options.model_copy(update=update), report
