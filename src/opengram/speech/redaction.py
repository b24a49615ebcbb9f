"""Redaction (`redact=`) and find-and-replace (`replace=`) on timed words.

Redaction finds entities in the words with patterns (digits already written as digits) or, for names,
places and other language entities, with spaCy's named-entity recognizer (`text/entities.py`). Each is
replaced with Deepgram's token `[ENTITY_N]` spanning the words it covers, numbering values per entity
type: the same card said twice is `[CREDIT_CARD_1]` both times. Redactions run in the order the request
gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace as dc_replace

from opengram.speech.words import TimedWord, join_span, leading_punct, plain_word, split_span, trailing_punct

# What `redact=` accepts: groups, and the entity types they stand for.
GROUPS = {
    "pci": ["credit_card", "credit_card_expiration", "cvv"],
    "pii": ["ssn", "phone_number", "email_address", "credit_card", "credit_card_expiration", "cvv", "name", "location"],
    "numbers": ["numbers"],
    "true": ["numbers"],
    "aggressive_numbers": ["numbers"],
}
PATTERN_ENTITIES = {"credit_card", "credit_card_expiration", "cvv", "ssn", "phone_number", "email_address", "numbers"}
# Found by spaCy's recognizer (loaded on first use).
NER_ENTITIES = {
    "name", "location", "location_city", "location_state", "location_country", "organization", "origin",
    "date", "time", "money", "event", "language",
}  # fmt: skip
ENTITIES = PATTERN_ENTITIES | NER_ENTITIES
# Deepgram entity names accepted, but that nothing here detects (answered with a warning).
UNSUPPORTED_ENTITIES = {
    "account_number", "age", "bank_account", "banking_information", "blood_type", "date_interval",
    "dob", "driver_license", "drug", "duration", "filename", "gender", "healthcare_number",
    "injury", "ip_address", "location_address", "location_coordinate", "location_zip", "marital_status",
    "medical_condition", "medical_process", "name_family", "name_given", "name_medical_professional",
    "numerical_pii", "occupation", "organization_medical_facility", "passport_number",
    "password", "phi", "physical_attribute", "political_affiliation", "religion", "routing_number", "statistics",
    "url", "username", "vehicle_id", "zodiac_sign",
}  # fmt: skip


def entity_types(values: list[str]) -> list[str]:
    """Expand groups, in order, without repeats. Raises ValueError naming an unknown value."""
    out: list[str] = []
    for value in values:
        value = value.lower()
        if value == "false":
            continue
        if value in GROUPS:
            types = GROUPS[value]
        elif value in ENTITIES or value in UNSUPPORTED_ENTITIES:
            types = [value]
        else:
            raise ValueError(value)
        out.extend(t for t in types if t not in out)
    return out


def _digits(w: TimedWord) -> str:
    return re.sub(r"\D", "", w.word)


def _is_numeric(w: TimedWord) -> bool:
    return bool(w.word) and bool(re.fullmatch(r"[\d\-/.,]+", w.word)) and any(c.isdigit() for c in w.word)


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _numeric_runs(words: list[TimedWord]) -> list[tuple[int, int]]:
    runs, i = [], 0
    while i < len(words):
        if _is_numeric(words[i]) and not words[i].word.startswith("["):
            j = i
            while j < len(words) and _is_numeric(words[j]):
                j += 1
                if trailing_punct(words[j - 1].punctuated).strip(" ,") and j < len(words):
                    break
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _context(words: list[TimedWord], i: int, cues: tuple[str, ...], reach: int = 4) -> bool:
    before = " ".join(w.word for w in words[max(0, i - reach) : i])
    return any(cue in before for cue in cues)


def needs_ner(types: list[str]) -> bool:
    return any(t in NER_ENTITIES for t in types)


def _ner(entity: str, words: list[TimedWord]) -> list[tuple[int, int, str]]:
    from opengram.text import entities  # spaCy loads on the first request that needs it
    from opengram.text.document import Document

    wanted = entity.upper()
    found = entities.find(Document.from_words([w.punctuated for w in words]))
    return [(f.start, f.end, f.label) for f in found if entities.covers(f.label, wanted)]


def spans_of(entity: str, words: list[TimedWord]) -> list[tuple[int, int, str]]:
    """Spans (start, end, label) of words that hold `entity`; the label is the most specific type found
    (`location` finds a `LOCATION_CITY`)."""
    if entity in NER_ENTITIES:
        return _ner(entity, words)
    if entity in UNSUPPORTED_ENTITIES:
        return []
    label = "NUMBER" if entity == "numbers" else entity.upper()
    return [(i, j, label) for i, j in _find(entity, words)]


def _find(entity: str, words: list[TimedWord]) -> list[tuple[int, int]]:
    """Spans (start, end) of words that hold `entity`, found by patterns."""
    if entity == "email_address":
        return [(i, i + 1) for i, w in enumerate(words) if re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", w.word)]
    spans = []
    for i, j in _numeric_runs(words):
        digits = "".join(_digits(w) for w in words[i:j])
        n = len(digits)
        if entity == "numbers":
            spans.append((i, j))
        elif entity == "credit_card" and 13 <= n <= 19 and (_luhn(digits) or _context(words, i, ("card",))):
            spans.append((i, j))
        elif entity == "ssn" and n == 9 and not _context(words, i, ("card", "phone", "call")):
            spans.append((i, j))
        elif entity == "phone_number" and n in (7, 10, 11) and not _context(words, i, ("card", "social", "ssn")):
            spans.append((i, j))
        elif entity == "cvv" and n in (3, 4) and _context(words, i, ("cvv", "cvc", "security code", "verification")):
            spans.append((i, j))
        elif entity == "credit_card_expiration" and (
            re.fullmatch(r"\d{1,2}/\d{2,4}", "".join(w.word for w in words[i:j]))
            or (n in (3, 4, 6) and _context(words, i, ("expire", "expiration", "expiry", "exp")))
        ):
            spans.append((i, j))
    return spans


def redact(words: list[TimedWord], types: list[str]) -> list[TimedWord]:
    numbering: dict[str, dict[str, int]] = {}
    for entity in types:
        spans = spans_of(entity, words)
        if not spans:
            continue
        out: list[TimedWord] = []
        cursor = 0
        for i, j, label in spans:
            if i < cursor or any(w.word.startswith("[") for w in words[i:j]):  # overlaps a redaction
                continue
            out.extend(words[cursor:i])
            seen = numbering.setdefault(label, {})
            value = "".join(w.word for w in words[i:j])
            index = seen.setdefault(value, len(seen) + 1)
            token = f"[{label}_{index}]"
            merged = join_span(
                words[i:j], leading_punct(words[i].punctuated) + token + trailing_punct(words[j - 1].punctuated)
            )
            out.append(dc_replace(merged, word=token))
            cursor = j
        out.extend(words[cursor:])
        words = out
    return words


# --- replace --------------------------------------------------------------------------------------------------


def parse_replacements(values: list[str]) -> list[tuple[str, str]]:
    """`find:replacement` pairs; `find` alone deletes. Raises ValueError for an empty `find`."""
    pairs = []
    for value in values:
        find, _, repl = value.partition(":")
        if not find.strip():
            raise ValueError(value)
        pairs.append((find.strip(), repl.strip()))
    return pairs


def _matcher(find: str) -> Callable[[TimedWord, str], bool]:
    # A lower-case `find` matches any casing; one with capitals matches that casing only.
    if find == find.lower():
        return lambda w, part: w.word == plain_word(part)
    return lambda w, part: w.punctuated[len(leading_punct(w.punctuated)) :].rstrip(",.;:!?") == part


def apply_replacements(words: list[TimedWord], pairs: list[tuple[str, str]]) -> list[TimedWord]:
    for find, repl in pairs:
        parts = find.split()
        matches = _matcher(find)
        out: list[TimedWord] = []
        i = 0
        while i < len(words):
            window = words[i : i + len(parts)]
            if len(window) == len(parts) and all(matches(w, p) for w, p in zip(window, parts)):
                tail = trailing_punct(window[-1].punctuated)
                if repl:
                    span = join_span(window, repl)
                    new = repl.split()
                    new[-1] += tail
                    out.extend(split_span(span, new))
                elif tail.strip() and out:
                    out[-1] = out[-1].with_text(out[-1].punctuated + tail.strip())
                i += len(parts)
            else:
                out.append(words[i])
                i += 1
        words = out
    return words
