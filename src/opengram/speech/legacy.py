"""The legacy v2 API's messages (seed 003), cut from v1's: the same transcription, in the fields the v2 API
had. Pure dict work, shared by the REST route, the callback worker and the v2 stream."""

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


def v2_stream_message(v1: dict[str, Any]) -> dict[str, Any] | None:
    """A live v1 message as the v2 stream sent it: `Results` without `type` and v1's additions, the closing
    `Metadata` as v2's summary metadata object; v1's VAD events (SpeechStarted, UtteranceEnd) did not exist."""
    kind = v1.get("type")
    if kind == "Results":
        return {
            **_pick(v1, ("channel_index", "duration", "start", "is_final", "speech_final")),
            "channel": _channel(v1["channel"]),
            "metadata": {"request_id": v1["metadata"]["request_id"]},
        }
    if kind == "Metadata":
        return _pick(v1, _METADATA)
    return None
