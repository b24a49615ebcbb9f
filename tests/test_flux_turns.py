"""Flux's turn machine, end-of-turn model and options, without a server: VAD frames and decodes are made up
here, so every rule of the state machine (spec §1.5) can be driven on purpose."""

from __future__ import annotations

import math

import numpy as np
import pytest

from opengram.speech.live.turns import machine as M
from opengram.speech.live.turns.machine import Decoded, Thresholds, TurnMachine
from opengram.speech.live.turns.model import DEFAULT, Evidence
from opengram.speech.live.turns.options import FluxOptions, Invalid
from opengram.speech.words import TimedWord
from tests.flux import check_turns

FRAME_S = 512 / 16000
SURE = Evidence(p_end=0.95, mark="final", last_word="today", words=5)
OPEN = Evidence(p_end=0.05, mark="", last_word="and", words=5)


def words(text: str, start: float = 0.5) -> list[TimedWord]:
    out, at = [], start
    for token in text.split():
        out.append(TimedWord(token.strip(".,?!").lower(), token, round(at, 3), round(at + 0.25, 3), 0.9))
        at += 0.3
    return out


class Driver:
    """A machine fed frames by the second, with every decode it asks for answered by `answer`."""

    def __init__(self, thresholds: Thresholds | None = None, answer=None):
        self.m = TurnMachine(thresholds or Thresholds())
        self.answer = answer or (lambda request: Decoded(words("Hello there."), request.end or self.m.now, SURE))
        self.messages: list[dict] = [{"type": "Connected", "request_id": "r", "sequence_id": 0}]
        self.held: list = []  # decodes not answered yet (`hold`)
        self.holding = False

    def run(self, seconds: float, speech: bool) -> Driver:
        for _ in range(round(seconds / FRAME_S)):
            self.m.frames([speech])
            self.pump()
        return self

    def pump(self) -> None:
        while self.m.requests:
            request = self.m.requests.pop(0)
            if self.holding:
                self.held.append(request)
            else:
                self.m.decoded(request, self.answer(request))
        for body in self.m.out:
            body = {"request_id": "r", "sequence_id": len(self.messages), **body}
            if body["type"] == "TurnInfo":
                body.pop("languages")
            self.messages.append(body)
        self.m.out = []

    def release(self) -> None:
        held, self.held = self.held, []
        for request in held:
            self.m.decoded(request, self.answer(request))
        self.pump()

    def events(self, *names: str) -> list[dict]:
        return [m for m in self.messages if m.get("event") in names]


def test_a_turn_starts_with_words_and_ends_when_the_model_is_sure():
    d = Driver().run(0.5, False).run(1.5, True).run(1.5, False)
    check_turns(d.messages)
    start, end = d.events("StartOfTurn")[0], d.events("EndOfTurn")[0]
    assert start["transcript"] == "Hello there." and start["audio_window_start"] == 0.0
    assert end["trigger"] == "model" and end["end_of_turn_confidence"] >= 0.7
    # after a sure full stop the turn ends within half a second of silence (VAD frames, no decode delay)
    assert end["audio_window_end"] - 2.0 < 0.5
    after = [m for m in d.messages if m.get("event") == "Update" and m["sequence_id"] > end["sequence_id"]]
    assert after and all(m["turn_index"] == 1 and m["transcript"] == "" for m in after)
    assert after[0]["audio_window_start"] == end["audio_window_end"]


def test_updates_every_quarter_second_of_audio():
    d = Driver().run(3.0, False)
    ends = [m["audio_window_end"] for m in d.messages[1:]]
    assert len(ends) == 11 and all(0.2 < b - a < 0.3 for a, b in zip(ends, ends[1:]))
    assert all(m["event"] == "Update" and m["end_of_turn_confidence"] < 0.1 for m in d.messages[1:])


def test_an_unfinished_phrase_waits_longer_than_a_finished_sentence():
    sure = Driver().run(0.5, False).run(1.5, True).run(3.0, False).events("EndOfTurn")[0]
    unsure = (
        Driver(answer=lambda r: Decoded(words("I went to the shop and"), r.end or 16000 * 10, OPEN))
        .run(0.5, False)
        .run(1.5, True)
        .run(3.0, False)
    )
    end = unsure.events("EndOfTurn")[0]
    assert end["trigger"] == "model"
    assert end["audio_window_end"] - sure["audio_window_end"] > 0.5


def test_eager_then_resumed_then_eager_then_end_keeps_the_eager_transcript():
    texts = iter(["One two.", "One two.", "One two three four.", "One two three four.", "One two three four."])
    d = Driver(
        Thresholds(eot=0.95, eager=0.4),
        answer=lambda r: Decoded(words(next(texts, "One two three four.")), r.end or d.m.now, SURE),
    )
    d.run(0.3, False).run(1.0, True).run(0.5, False).run(1.0, True).run(3.0, False)
    check_turns(d.messages, eager=True)
    sequence = [m["event"] for m in d.events("StartOfTurn", "EagerEndOfTurn", "TurnResumed", "EndOfTurn")]
    assert sequence == ["StartOfTurn", "EagerEndOfTurn", "TurnResumed", "EagerEndOfTurn", "EndOfTurn"]
    eager, end = d.events("EagerEndOfTurn")[-1], d.events("EndOfTurn")[0]
    assert end["transcript"] == eager["transcript"] == "One two three four."


def test_an_eager_end_needs_the_candidate_decode():
    d = Driver(Thresholds(eot=0.9, eager=0.4))
    d.run(0.3, False).run(1.0, True)
    d.holding = True
    d.run(1.0, False)  # a second of silence, but the pause's decode has not come back
    assert not d.events("EagerEndOfTurn", "EndOfTurn")
    d.holding = False
    d.release()
    d.run(0.1, False)
    assert [m["event"] for m in d.events("EagerEndOfTurn", "EndOfTurn")] == ["EagerEndOfTurn", "EndOfTurn"]
    check_turns(d.messages, eager=True)


def test_timeout_ends_the_turn_whatever_the_confidence():
    d = Driver(
        Thresholds(eot=1.0, timeout_ms=1000), answer=lambda r: Decoded(words("so I was"), r.end or d.m.now, OPEN)
    )
    d.run(0.3, False).run(1.0, True).run(2.0, False)
    check_turns(d.messages)
    (end,) = d.events("EndOfTurn")
    assert end["trigger"] == "timeout" and end["end_of_turn_confidence"] < 0.7
    assert 0.95 <= end["audio_window_end"] - 1.3 <= 1.1


def test_eot_threshold_one_never_ends_a_turn_by_model():
    d = Driver(Thresholds(eot=1.0, timeout_ms=60000)).run(0.3, False).run(1.0, True).run(5.0, False)
    assert not d.events("EndOfTurn") and d.events("StartOfTurn")


def test_force_end_turn_mid_speech_and_the_warning_when_idle():
    d = Driver().run(0.5, False)
    d.m.force_end()
    d.pump()
    assert d.messages[-1]["type"] == "Warning" and d.messages[-1]["code"] == "FORCE_END_TURN_NO_ACTIVE_TURN"
    assert d.m.turn_index == 0
    d.run(1.5, True)
    transcript = d.messages[-1]["transcript"]
    d.m.force_end()
    d.pump()
    end = d.events("EndOfTurn")[0]
    assert end["trigger"] == "manual" and end["transcript"] == transcript
    d.m.force_end()
    d.pump()
    assert d.messages[-1]["type"] == "Warning"
    d.run(2.0, True).run(2.0, False)  # the speech after the forced end is turn 1's
    check_turns(d.messages)
    assert [m["turn_index"] for m in d.events("StartOfTurn")] == [0, 1]


def test_a_sound_without_words_stays_idle_and_is_forgotten():
    d = Driver(answer=lambda r: Decoded([], r.end or d.m.now, None)).run(0.5, False).run(0.3, True).run(2.0, False)
    assert not d.events("StartOfTurn") and d.m.decode_from is None
    check_turns(d.messages)


def test_decodes_of_an_ended_turn_or_older_than_the_applied_one_are_dropped():
    d = Driver().run(0.3, False).run(1.0, True)
    old = M.Request(99, d.m._turn.serial, "interim", d.m.decode_from, None, 0)
    d.run(1.5, False)  # the turn ends
    d.m.decoded(old, Decoded(words("stale words"), d.m.now, SURE))
    d.pump()
    assert all("stale" not in m.get("transcript", "") for m in d.messages)
    assert d.m.stale(old)


def test_a_long_turn_commits_its_words_before_a_pause():
    def answer(request):
        start = request.start / 16000
        return Decoded(
            words("Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron", start),
            request.end or d.m.now,
            OPEN,
        )

    d = Driver(Thresholds(eot=1.0, timeout_ms=60000), answer=answer)
    d.run(0.3, False)
    for _ in range(4):
        d.run(2.5, True).run(0.3, False)
    assert d.m.decode_from > 5 * 16000 and d.m._turn.committed
    check_turns(d.messages)


def test_the_model_is_monotone_in_silence_and_evidence():
    assert DEFAULT.confidence(0.0, None) < 0.05
    values = [DEFAULT.confidence(s / 10, SURE) for s in range(0, 30)]
    assert values == sorted(values) and values[-1] > 0.99
    for s in (0.2, 0.5, 1.0):
        assert DEFAULT.confidence(s, SURE) > DEFAULT.confidence(s, OPEN)
    trailing = Evidence(p_end=0.5, mark="", last_word="and", words=3)
    plain = Evidence(p_end=0.5, mark="", last_word="dog", words=3)
    assert DEFAULT.confidence(0.5, trailing) < DEFAULT.confidence(0.5, plain)
    assert DEFAULT.silence_for(0.7, SURE) < DEFAULT.silence_for(0.7, OPEN) < math.inf
    assert DEFAULT.confidence(DEFAULT.silence_for(0.9, SURE), SURE) == pytest.approx(0.9)


def test_options_parse_the_query_the_sdk_sends():
    items = [("model", "flux-general-en"), ("encoding", "linear16"), ("sample_rate", "16000"),
             ("eager_eot_threshold", "0.4"), ("eot_threshold", "0.7"), ("eot_timeout_ms", "5000"),
             ("keyterm", "Deepgram"), ("keyterm", "customer service"), ("numerals", "true"),
             ("mip_opt_out", "true"), ("tag", "a"), ("tag", "b")]  # fmt: skip
    o = FluxOptions.parse(items)
    assert (o.thresholds.eot, o.thresholds.eager, o.thresholds.timeout_ms) == (0.7, 0.4, 5000)
    assert o.keyterms == ["Deepgram", "customer service"] and o.numerals and o.tags == ["a", "b"]
    assert o.listen_options().punctuate and o.listen_options().keyterm == ["Deepgram", "customer service"]
    multi = FluxOptions.parse([("model", "flux-general-multi"), ("language_hint", "en-GB"), ("language_hint", "es")])
    assert multi.language_hints == ["en", "es"] and multi.listen_options().language == "multi"
    assert (
        FluxOptions.parse([("model", "flux-general-multi"), ("language_hint", "es")]).listen_options().language == "es"
    )


@pytest.mark.parametrize(
    "items, says",
    [
        ([], "model is required"),
        ([("model", "flux")], "unsupported model"),
        ([("model", "nova-3")], "unsupported model"),
        ([("model", "flux-general-en"), ("language_hint", "es")], "language_hint is not supported"),
        ([("model", "flux-general-multi"), ("language_hint", "xx")], "unsupported language_hint"),
        ([("model", "flux-general-en"), ("eot_threshold", "0.4")], "eot_threshold must be between"),
        (
            [("model", "flux-general-en"), ("eot_threshold", "0.6"), ("eager_eot_threshold", "0.8")],
            "less than or equal",
        ),
        ([("model", "flux-general-en"), ("eot_timeout_ms", "100")], "eot_timeout_ms must be between"),
        ([("model", "flux-general-en"), ("encoding", "linear16")], "sample_rate is required"),
        ([("model", "flux-general-en"), ("encoding", "mp3")], "unsupported encoding"),
        ([("model", "flux-general-en"), ("redact", "pii")], "unsupported redact"),
    ],
)
def test_options_refuse_what_flux_refuses(items, says):
    with pytest.raises(Invalid, match=says):
        FluxOptions.parse(items)


def test_configure_merges_validates_and_reports():
    o = FluxOptions.parse([("model", "flux-general-en"), ("eager_eot_threshold", "0.4")])
    new = o.configured(
        {"type": "Configure", "thresholds": {"eot_threshold": 0.8, "eot_timeout_ms": 6000}, "keyterms": ["Acme"]}
    )
    assert new.report() == {
        "thresholds": {"eager_eot_threshold": 0.4, "eot_threshold": 0.8, "eot_timeout_ms": 6000},
        "keyterms": ["Acme"], "numerals": False,
    }  # fmt: skip
    assert new.configured({"type": "Configure", "keyterms": []}).keyterms == []
    assert (
        new.configured({"type": "Configure", "thresholds": {"eot_threshold": 1}}).thresholds.eot == 1.0
    )  # ints accepted
    with pytest.raises(Invalid) as refused:
        new.configured({"type": "Configure", "thresholds": {"eager_eot_threshold": 0.9}})
    assert refused.value.code == "INVALID_THRESHOLD" and o.thresholds.eager == 0.4
    with pytest.raises(Invalid, match="language_hint is not supported"):
        o.configured({"type": "Configure", "language_hints": ["es"]})
    assert o.configured({"type": "Configure", "language_hints": []}).language_hints == []


def test_audio_is_trimmed_to_what_decodes_may_still_read():
    from opengram.speech.live.turns.audio import FluxAudio

    a = FluxAudio()
    a.append(np.zeros(16000 * 5, np.float32))
    a.keep_from(16000 * 3)
    a.append(np.zeros(1600, np.float32))
    assert a.samples.start == 16000 * 3 and a.received == 16000 * 5 + 1600
    audio, speech, start, end = a.window(0, None)
    assert start == 16000 * 3 and audio.size == end - start and speech == []
