"""Intents from the grammar of each sentence: what the speaker asks for, wants or is about to do.

No intent model ships on PyPI, so intents come from spaCy's dependency parse, by rules that can be read
and checked. A verb is an intent when the sentence
- states a wish or purpose: "I'd like to *cancel* my subscription", "I'm calling to *get* a refund"
  (confidence 0.9); wanting a thing is requesting it: "I'd like a refund" is "Request refund";
- asks someone to act: "Can you *schedule* a meeting?", orders it: "*Send* me the invoice", or
  suggests it: "Let's *meet* on Friday" (0.8);
- announces the speaker's own plan: "We will *add* two agents", "I'm going to *fix* it" (0.7).
The intent is the verb's lemma and its object without articles or possessives ("Cancel subscription",
"Schedule meeting", "Talk to manager"). Each sentence with an intent is a segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opengram.text import custom, nlp, wire
from opengram.text.document import Document

if TYPE_CHECKING:
    from spacy.tokens import Token

WISH = {
    "want", "need", "like", "love", "wish", "hope", "try", "plan", "intend", "mean", "call", "write", "ask",
    "prefer", "attempt", "look", "wonder", "decide",
}  # fmt: skip
ASK_AUX = {"can", "could", "would", "will", "may"}
PLAN_AUX = {"will", "shall", "'ll", "wo"}
# Verbs that carry no action of their own.
LIGHT = {"be", "have", "do", "know", "think", "see", "say", "seem", "mean", "guess", "let", "go"}
MAX_OBJECT_WORDS = 4


def _object(verb: Token) -> str | None:
    """The verb's object as a short phrase, or None when it has none worth naming."""
    for child in verb.children:
        if child.dep_ in ("dobj", "attr", "oprd") and child.pos_ in ("NOUN", "PROPN", "NUM"):
            return _phrase(child)
    for child in verb.children:
        if child.dep_ == "prep":
            objects = [c for c in child.children if c.dep_ == "pobj" and c.pos_ in ("NOUN", "PROPN")]
            if objects:
                return f"{child.text.lower()} {_phrase(objects[0])}"
    for child in verb.children:
        if child.dep_ == "dative" and child.pos_ in ("NOUN", "PROPN"):
            return _phrase(child)
    return None


def _phrase(head: Token) -> str:
    # Modifiers before the noun, each with its own words ("follow-up", not "follow").
    kept = [t for t in head.children if t.i < head.i and t.dep_ in ("compound", "amod", "npadvmod")]
    doc = head.doc
    spans = [(t, doc[t.left_edge.i : t.right_edge.i + 1].text) for t in kept[-(MAX_OBJECT_WORDS - 1) :]]
    words = [text if t.pos_ == "PROPN" else text.lower() for t, text in spans]
    words.append(head.text if head.pos_ == "PROPN" else head.lemma_.lower())
    return " ".join(words)


def _kind(verb: Token) -> float | None:
    """Confidence that `verb` is an intent, by the rule that makes it one; None if none does."""
    if verb.pos_ != "VERB" or verb.lemma_.lower() in LIGHT:
        return None
    head = verb.head
    if verb.dep_ == "conj" and head is not verb:  # "add two agents and fix the bug": as its first verb
        return _kind(head)
    aux = {c.lower_ for c in verb.children if c.dep_ in ("aux", "auxpass")}
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if _going_to(verb):
        subject = next((c for c in head.children if c.dep_ == "nsubj"), None)
    if verb.dep_ == "xcomp" and head.lemma_.lower() in WISH:
        return 0.9
    if verb.dep_ == "advcl" and "to" in aux and head.lemma_.lower() in WISH:
        return 0.9
    if subject is not None and subject.lower_ == "you" and aux & ASK_AUX:
        return 0.8
    if verb.dep_ in ("ccomp", "xcomp") and head.lemma_.lower() == "let":
        return 0.8
    if verb.dep_ == "ROOT" and subject is None and verb.tag_ == "VB" and not aux:
        return 0.8
    if subject is not None and subject.lower_ in ("i", "we") and (aux & PLAN_AUX or _going_to(verb)):
        return 0.7
    return None


def _direct_object(verb: Token) -> Token | None:
    return next((c for c in verb.children if c.dep_ == "dobj" and c.pos_ in ("NOUN", "PROPN")), None)


def _wants_thing(verb: Token) -> bool:
    """ "I'd like a refund", "we need a new contract": a wish whose object is a thing."""
    if verb.pos_ != "VERB" or verb.lemma_.lower() not in ("want", "need", "like", "request", "wish"):
        return False
    if verb.lemma_.lower() == "like" and not {c.lower_ for c in verb.children} & {"would", "'d"}:
        return False  # "I like pizza" is a taste, "I'd like a pizza" a wish
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    return subject is not None and subject.lower_ in ("i", "we") and _direct_object(verb) is not None


def _going_to(verb: Token) -> bool:
    head = verb.head
    return verb.dep_ == "xcomp" and head.lemma_ == "go" and head.tag_ == "VBG"


def detect(doc: Document) -> list[list[tuple[str, float]]]:
    """For each sentence of `doc`, its intents as (intent, confidence)."""
    out: list[list[tuple[str, float]]] = [[] for _ in doc.sentences]
    if not len(doc):
        return out
    parsed = nlp.parse(doc.text)
    sentence_of = {}
    for index, span in enumerate(doc.sentences):
        for w in range(span.start, span.end):
            sentence_of[w] = index
    for token in parsed:
        if _wants_thing(token):
            intent, confidence = f"Request {_phrase(_direct_object(token))}", 0.9
        else:
            confidence = _kind(token)
            if confidence is None:
                continue
            if token.dep_ == "ROOT" and token.lemma_.lower() in WISH:
                continue  # the wish itself ("I want to ...") is not the intent; its complement is
            obj = _object(token)
            if obj is None:
                continue
            intent = f"{token.lemma_.lower().capitalize()} {obj}"
        bucket = out[sentence_of[doc.word_at(token.idx)]]
        if all(i.lower() != intent.lower() for i, _ in bucket):
            bucket.append((intent, confidence))
    return out


def intents(doc: Document, custom_intents: Sequence[str] = (), mode: str = "extended") -> wire.Intents:
    detected = detect(doc) if mode == "extended" else [[] for _ in doc.sentences]
    segments = []
    for span, found in zip(doc.sentences, detected):
        text = doc.text_of(span)
        labels = dict(found)
        custom.add_matches(labels, list(custom_intents), text)
        if labels:
            segments.append(
                wire.IntentSegment(
                    text=text,
                    start_word=span.start,
                    end_word=span.end - 1,
                    intents=[wire.Intent(intent=i, confidence_score=c) for i, c in labels.items()],
                )
            )
    return wire.Intents(segments=segments)
