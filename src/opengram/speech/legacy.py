"""The legacy `/v2/listen` response (seed 003), cut from a v1 response: the same transcription, in the
fields the v2 API had. Pure dict work, shared by the REST route and the callback worker."""

from __future__ import annotations

from typing import Any

# What each v2 object carried; everything else of v1 (model_info, punctuated_word, paragraphs…) is left out.
_METADATA = ("request_id", "transaction_key", "sha256", "created", "duration", "channels")
_WORD = ("word", "start", "end", "confidence", "speaker")  # speaker: with diarize=true
_UTTERANCE = ("start", "end", "confidence", "channel", "transcript", "speaker", "id")


def _pick(source: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: source[name] for name in names if name in source}


def _words(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_pick(w, _WORD) for w in words]


def _channel(channel: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "search" in channel:
        out["search"] = channel["search"]  # query, hits[{confidence, start, end, snippet}]: unchanged since v2
    out["alternatives"] = [
        {"transcript": a["transcript"], "confidence": a["confidence"], "words": _words(a["words"])}
        for a in channel["alternatives"]
    ]
    return out


def v2_response(v1: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, Any] = {"channels": [_channel(c) for c in v1["results"]["channels"]]}
    if "utterances" in v1["results"]:
        results["utterances"] = [
            {**_pick(u, _UTTERANCE), "words": _words(u["words"])} for u in v1["results"]["utterances"]
        ]
    return {"metadata": _pick(v1["metadata"], _METADATA), "results": results}
