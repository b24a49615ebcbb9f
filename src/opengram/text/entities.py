"""Named entities with spaCy's English model, named as Deepgram names them.

spaCy's OntoNotes labels map onto Deepgram's entity types (`PERSON` is `NAME`, `ORG` is `ORGANIZATION`,
`NORP` is `ORIGIN`...). A place spaCy calls `GPE` is refined with pycountry's lists: a country is
`LOCATION_COUNTRY`, a state or province `LOCATION_STATE`, any other `LOCATION_CITY` (spaCy's GPEs are
countries, states and cities). Numbers, phones, emails and cards are found by patterns elsewhere
(`speech/redaction.py`), on the words as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from opengram.text import nlp
from opengram.text.document import Document

LABELS = {
    "PERSON": "NAME",
    "ORG": "ORGANIZATION",
    "NORP": "ORIGIN",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "DATE": "DATE",
    "TIME": "TIME",
    "MONEY": "MONEY",
    "EVENT": "EVENT",
    "LANGUAGE": "LANGUAGE",
    "CARDINAL": "CARDINAL_NUM",
    "ORDINAL": "ORDINAL_NUM",
    "PERCENT": "PERCENTAGE",
}
# A label and the broader Deepgram types it also counts as (`redact=location` covers a city).
PARENTS = {
    "LOCATION_CITY": ("LOCATION",),
    "LOCATION_STATE": ("LOCATION",),
    "LOCATION_COUNTRY": ("LOCATION",),
}
STATE_TYPES = {"State", "Province", "Territory", "Commonwealth", "Federal district"}


@dataclass(frozen=True)
class Found:
    label: str
    start: int  # first word
    end: int  # one past the last word


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    import pycountry

    places: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        if sub.type in STATE_TYPES:
            places.setdefault(sub.name.lower(), "LOCATION_STATE")
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)):
            if name:
                places[name.lower()] = "LOCATION_COUNTRY"
    spoken = (
        "america",
        "usa",
        "u.s.",
        "us",
        "u.s.a.",
        "uk",
        "britain",
        "great britain",
        "england",
        "scotland",
        "wales",
    )
    places.update(dict.fromkeys(spoken, "LOCATION_COUNTRY"))
    return places


def _place(text: str) -> str:
    key = text.lower().removeprefix("the ").strip(" .,;:!?")
    return _places().get(key, "LOCATION_CITY")


def find(doc: Document) -> list[Found]:
    """Entities in `doc`, in order, placed on its words."""
    if not len(doc):
        return []
    out = []
    for ent in nlp.parse(doc.text, parser=False).ents:
        label = _place(ent.text) if ent.label_ == "GPE" else LABELS.get(ent.label_)
        if label is None:
            continue
        start = doc.word_at(ent.start_char)
        end = doc.word_at(max(ent.end_char - 1, ent.start_char)) + 1
        out.append(Found(label, start, end))
    return out


def covers(label: str, wanted: str) -> bool:
    """Whether an entity labelled `label` is of Deepgram type `wanted` (upper case)."""
    return label == wanted or wanted in PARENTS.get(label, ())
