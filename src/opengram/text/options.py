"""`ReadOptions`: /v1/read's query parameters (spec section 6.1), parsed like /v1/listen's."""

from __future__ import annotations

from opengram.speech.options import IntelligenceOptions


class ReadOptions(IntelligenceOptions):
    """/v1/read takes the intelligence parameters listen has (its summary is boolean; `v2`, in Deepgram's
    schema, means the same)."""

    def feature_names(self) -> list[str]:
        """For the request log."""
        names = self.intelligence().names()
        names += [n for n in ("custom_topic", "custom_intent") if getattr(self, n)]
        return names
