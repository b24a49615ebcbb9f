"""`ReadOptions`: /v1/read's query parameters (spec section 6.1), parsed like /v1/listen's."""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import ValidationError

from opengram.errors import InvalidQueryParameter
from opengram.speech.options import IntelligenceOptions
from opengram.text.analyze import Features

LIST_PARAMS = {"custom_topic", "custom_intent", "tag"}


class ReadOptions(IntelligenceOptions):
    """/v1/read takes the intelligence parameters listen has (its summary is boolean; `v2`, in Deepgram's
    schema, means the same)."""

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> "ReadOptions":
        raw: dict[str, Any] = {}
        for key, value in items:
            if key in LIST_PARAMS:
                raw.setdefault(key, []).append(value)
            else:
                raw[key] = value
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            name = str(exc.errors()[0]["loc"][0])
            raise InvalidQueryParameter(f"invalid value for `{name}`: {raw.get(name)!r}") from None

    def features(self) -> Features:
        return Features(
            summarize=self.summarize is not False,
            topics=self.topics,
            custom_topics=tuple(self.custom_topic),
            topic_mode=self.custom_topic_mode,
            intents=self.intents,
            custom_intents=tuple(self.custom_intent),
            intent_mode=self.custom_intent_mode,
            sentiment=self.sentiment,
        )

    def feature_names(self) -> list[str]:
        """For the request log."""
        names = self.features().names()
        names += [n for n in ("custom_topic", "custom_intent") if getattr(self, n)]
        return names

    def config(self) -> dict[str, Any]:
        return self.model_dump(exclude_defaults=True)
