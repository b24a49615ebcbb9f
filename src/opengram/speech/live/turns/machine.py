"""Flux's turn state machine for one stream: VAD frames and decodes in, `TurnInfo` bodies and decode
requests out. Pure: no clock, no threads, no model; the session (`session.py`) feeds it on the event loop,
and `bench/flux_tune.py` replays recordings through it with no clock at all.

States (spec §1.5): IDLE (no turn: listening for speech of turn `turn_index`), ONGOING (StartOfTurn sent),
AWAITING (EagerEndOfTurn sent, waiting to confirm or resume).

The schedule of one turn:

- VAD speech onset in IDLE: the turn's audio begins `PRE_PAD_S` earlier. After `FIRST_DECODE_S` of speech
  the turn so far is decoded; its first words make the StartOfTurn (which always carries text). A sound
  that decodes to no words leaves the machine in IDLE and is forgotten.
- While speech goes on, the whole turn so far is decoded again every `INTERIM_EVERY_S` of audio (interim
  decodes, best effort: the shared scheduler drops stale ones under load). A turn longer than
  `COMMIT_AFTER_S` commits the words before one of its pauses, and later decodes start there, so a decode
  never grows past a short encoder window.
- At a pause (`CANDIDATE_S` of VAD silence) the turn is decoded as a *candidate* end, with the decoder's
  `Evidence` about its last words. From then on every frame of silence recomputes the end-of-turn
  confidence (`TurnModel`), and the thresholds decide: EagerEndOfTurn, EndOfTurn (`trigger: model`), or
  after `eot_timeout_ms` of silence EndOfTurn (`timeout`) whatever the confidence.
- Speech after an EagerEndOfTurn is a TurnResumed, at its onset; the turn goes on.

A TurnInfo goes out every `UPDATE_S` of audio (an Update, unless a state event went out in that interval);
state events go out the moment they happen. While AWAITING, decodes are not applied, so the EndOfTurn
that confirms an EagerEndOfTurn carries exactly its transcript.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opengram.engines.vad import FRAME
from opengram.speech.live.segments import PRE_PAD_S, RATE
from opengram.speech.live.turns.model import DEFAULT, SPEAKING, Evidence, TurnModel
from opengram.speech.shape import languages_of, text_of
from opengram.speech.words import TimedWord

UPDATE_S = 0.25
CANDIDATE_S = 0.096  # silence after speech (3 VAD frames) before the turn is decoded as a candidate end
FIRST_DECODE_S = 0.5  # speech before a turn's first decode (its StartOfTurn)
INTERIM_EVERY_S = 1.5  # whole-turn decodes cost more than v1's segment interims (1 s)
MIN_SPEECH_S = 0.1  # less speech than this in a would-be turn is a click: never decoded
FORGET_S = 1.0  # a sound that decoded to no words is forgotten after this much silence (not at once: speech
# that follows soon is decoded with it, as Whisper often hears a turn's first word only in context)
COMMIT_AFTER_S = 8.0  # a decode window longer than this commits its words before a pause
COMMIT_INTERIM_S = 14.0  # ... or, when no candidate came to commit (speech without pauses, or a model that has
# fallen behind), an interim's window longer than this: decodes must stay on a short window
COMMIT_KEEP_S = 2.0  # ... keeping at least this much audio after the commit point
COMMIT_GAP_FRAMES = 3  # a pause the commit point may sit in: at least this many silent frames (96 ms)


class State(enum.Enum):
    IDLE = "Idle"
    ONGOING = "Ongoing"
    AWAITING = "Awaiting"


@dataclass
class Thresholds:
    eot: float = 0.7
    eager: float | None = None  # None: eager mode off
    timeout_ms: int = 5000


@dataclass
class Request:
    """A decode of the turn's audio [start, end) (end None: whatever the VAD has scored when it starts)."""

    serial: int
    turn: int  # the machine's turn serial, so a decode of an ended turn is dropped
    kind: str  # "interim", "candidate" (a pause) or "closing" (CloseStream)
    start: int
    end: int | None
    speech_end: int  # the last speech sample when it was asked for
    urgent: bool = False  # a turn's first decode (its StartOfTurn, the barge-in signal): queued with the candidates


@dataclass
class Decoded:
    words: list[TimedWord]  # placed in stream time, Deepgram's text features applied
    end: int  # the audio decoded ran up to here
    evidence: Evidence | None = None  # candidates only
    language: str | None = None


@dataclass
class _Turn:
    serial: int
    window_start: int  # audio_window_start, in samples
    decode_from: int | None = None  # where the turn's decodes begin (None: no speech heard yet)
    speech_frames: int = 0
    committed: list[TimedWord] = field(default_factory=list)
    live: list[TimedWord] = field(default_factory=list)
    covered_to: int = 0
    applied: int = -1  # serial of the newest decode applied
    evidence: Evidence | None = None
    evidence_for: int | None = None  # the speech end the evidence (or its absence) was decoded at
    candidate_for: int | None = None  # the speech end a candidate was asked for
    gaps: list[tuple[int, int]] = field(default_factory=list)  # pauses inside the turn, samples
    interim_due: int | None = None
    interim_pending: bool = False
    history: list[tuple[int, int, list[float]]] = field(
        default_factory=list
    )  # applied decodes: start, end, word middles

    @property
    def words(self) -> list[TimedWord]:
        return self.committed + self.live


class TurnMachine:
    def __init__(self, thresholds: Thresholds | None = None, model: TurnModel = DEFAULT):
        self.thresholds = thresholds or Thresholds()
        self.model = model
        self.state = State.IDLE
        self.turn_index = 0
        self.frame = 0  # VAD frames processed
        self.in_speech = False
        self.last_speech_end = 0  # samples
        self._silence_from: int | None = None  # where the current silence began, inside a turn
        self._serial = 0
        self._newest_final = 0  # serial of the newest candidate or closing decode asked for
        self._turn = _Turn(0, 0)
        self._next_update = int(UPDATE_S * RATE)
        self.closing = False
        self.out: list[dict[str, Any]] = []  # TurnInfo bodies (and Warnings) for the session to send
        self.requests: list[Request] = []  # decodes for the session to run
        self.confidence = SPEAKING

    # --- inputs ---

    @property
    def now(self) -> int:
        return self.frame * FRAME

    @property
    def decode_from(self) -> int | None:
        return self._turn.decode_from

    @property
    def keep_from(self) -> int:
        """The earliest audio a later decode may read: the open turn's decode start, or (no speech yet) the
        pre-pad before now, less a margin."""
        start = self._turn.decode_from if self._turn.decode_from is not None else self.now - int(PRE_PAD_S * RATE)
        return max(0, start - RATE // 2)

    def previous(self, start: int) -> list[tuple[int, list[float]]]:
        """What the turn's recent decodes from `start` said: where each ended, and the middle of each of its
        words (seconds); a new decode of the same audio is checked against them."""
        return [(end, mids) for a, end, mids in self._turn.history if a == start]

    def stale(self, request: Request) -> bool:
        """Whether a decode no longer matters: its turn ended, or a candidate was asked for after it (under
        load the model falls behind the pauses; only the newest one is worth decoding). Read from the model
        thread before a decode starts: a benign race, at worst a wasted decode."""
        return request.turn != self._turn.serial or request.serial < self._newest_final

    def frames(self, flags: Iterable[bool]) -> None:
        for flag in flags:
            self._step(bool(flag))

    def decoded(self, request: Request, result: Decoded | None) -> None:
        """A decode came back (None: it failed)."""
        turn = self._turn
        if request.turn != turn.serial:
            return  # a decode of a turn that has ended since
        if request.kind == "interim":
            turn.interim_pending = False
        paused_here = request.speech_end == self.last_speech_end and not self.in_speech
        if request.kind != "interim" and paused_here and self.state is not State.AWAITING:
            turn.evidence = result.evidence if result is not None else None
            turn.evidence_for = request.speech_end  # the pause's words are known (or known to be missing)
        if result is not None and self.state is not State.AWAITING and request.serial > turn.applied:
            words = result.words
            if turn.decode_from is not None and request.start < turn.decode_from:  # decoded before a commit
                words = [w for w in words if (w.start + w.end) / 2 * RATE >= turn.decode_from]
            if words or not turn.live:
                turn.live = words  # a turn's words never vanish on a decode that found none
            turn.covered_to = max(turn.covered_to, result.end)
            turn.applied = request.serial
            if result.words:
                turn.history = turn.history[-4:] + [
                    (request.start, result.end, [(w.start + w.end) / 2 for w in result.words])
                ]
            self._commit(request, result)
        if self.state is State.IDLE and turn.words:
            self._emit("StartOfTurn")
            self.state = State.ONGOING
        self._evaluate()

    def force_end(self) -> None:
        """ForceEndTurn: end the turn with what has been decoded so far, or warn when there is none."""
        if self.state is State.IDLE:
            self.out.append({"type": "Warning", "code": "FORCE_END_TURN_NO_ACTIVE_TURN",
                             "description": "ForceEndTurn ignored: no turn is in progress."})  # fmt: skip
            return
        self._end("manual")

    def close(self) -> Request | None:
        """CloseStream, once every frame received has been processed: no more turn decisions; a last decode
        when the open turn has speech that no decode has covered. The session applies it, then `flush`es."""
        self.closing = True
        turn = self._turn
        if turn.decode_from is None or turn.speech_frames * FRAME < MIN_SPEECH_S * RATE:
            return None
        if self.state is State.AWAITING or turn.covered_to >= self.last_speech_end:
            return None
        return self._request("closing", self.now)

    def flush(self) -> None:
        """The last Update, for the audio processed since the previous message."""
        self._emit("Update")

    def configure(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._evaluate()

    # --- the frame clock ---

    def _step(self, speech: bool) -> None:
        turn = self._turn
        start = self.now
        self.frame += 1
        now = self.now
        if speech:
            if not self.in_speech:
                self._onset(start)
            self.in_speech = True
            self.last_speech_end = now
            turn.speech_frames += 1
        elif self.in_speech:
            self.in_speech = False
            self._silence_from = self.last_speech_end
        if speech and turn.interim_due is not None and now >= turn.interim_due and not self.closing:
            if not turn.interim_pending and turn.speech_frames * FRAME >= MIN_SPEECH_S * RATE:
                turn.interim_pending = True
                self._request("interim", None).urgent = self.state is State.IDLE
            turn.interim_due = now + int(INTERIM_EVERY_S * RATE)
        if (
            not self.in_speech
            and not self.closing
            and turn.decode_from is not None
            and turn.candidate_for != self.last_speech_end
            and now - self.last_speech_end >= CANDIDATE_S * RATE
        ):
            turn.candidate_for = self.last_speech_end
            if turn.speech_frames * FRAME >= MIN_SPEECH_S * RATE:
                self._request("candidate", now)
            else:
                turn.evidence_for = self.last_speech_end  # a click: nothing to decode
        if (
            self.state is State.IDLE
            and turn.decode_from is not None
            and not self.in_speech
            and turn.evidence_for == self.last_speech_end
            and not turn.words
            and now - self.last_speech_end >= FORGET_S * RATE
        ):
            self._forget_sound()
        self._evaluate()
        if now >= self._next_update:
            self._emit("Update")

    def _onset(self, at: int) -> None:
        turn = self._turn
        if (
            self._silence_from is not None
            and turn.decode_from is not None
            and at - self._silence_from >= COMMIT_GAP_FRAMES * FRAME
        ):
            turn.gaps.append((self._silence_from, at))
        self._silence_from = None
        if turn.decode_from is None:
            turn.decode_from = max(turn.window_start, at - int(PRE_PAD_S * RATE))
            turn.interim_due = at + int(FIRST_DECODE_S * RATE)
        if self.state is State.AWAITING and not self.closing:
            self._emit("TurnResumed")
            self.state = State.ONGOING
        turn.evidence = None

    def _forget_sound(self) -> None:
        """A sound in IDLE that had no words: the next speech starts afresh."""
        turn = self._turn
        turn.decode_from, turn.speech_frames, turn.live, turn.gaps = None, 0, [], []
        turn.interim_due, turn.evidence, turn.evidence_for = None, None, None

    # --- decisions ---

    def _evaluate(self) -> None:
        turn = self._turn
        if self.state is State.IDLE or self.in_speech:
            self.confidence = SPEAKING
            return
        silence = (self.now - self.last_speech_end) / RATE
        looked = turn.evidence_for == self.last_speech_end
        self.confidence = self.model.confidence(silence, turn.evidence if looked else None)
        if not looked or self.closing:
            return  # no decision before the pause's words are known
        th = self.thresholds
        if silence * 1000 >= th.timeout_ms:
            self._end("timeout")
            return
        if th.eager is not None and self.state is State.ONGOING and self.confidence >= th.eager:
            self._emit("EagerEndOfTurn")
            self.state = State.AWAITING
        if th.eot < 1.0 and self.confidence >= th.eot:
            self._end("model")

    def _end(self, trigger: str) -> None:
        self._emit("EndOfTurn", trigger=trigger)
        self.turn_index += 1
        self.state = State.IDLE
        self._serial += 1
        self._turn = _Turn(self._serial, self.now)
        if self.in_speech:  # ForceEndTurn mid-speech: what follows belongs to the next turn
            self._onset(self.now)
        self.confidence = SPEAKING

    def _commit(self, request: Request, result: Decoded) -> None:
        """Freeze the words before a pause of a long window, so later decodes start after it."""
        turn = self._turn
        length = result.end - request.start
        if request.start != turn.decode_from or length < COMMIT_AFTER_S * RATE:
            return
        if request.kind == "interim" and length < COMMIT_INTERIM_S * RATE:
            return  # interims skip words more often than candidates: theirs are committed only in a long run
        limit = result.end - int(COMMIT_KEEP_S * RATE)
        gaps = [g for g in turn.gaps if request.start + RATE <= g[0] and g[1] <= limit]
        if not gaps:
            return
        a, b = gaps[-1]
        cut = (a + b) // 2
        n = 0
        while n < len(turn.live) and (turn.live[n].start + turn.live[n].end) / 2 * RATE < cut:
            n += 1
        if n == 0:
            return
        turn.committed += turn.live[:n]
        turn.live = turn.live[n:]
        turn.decode_from = cut
        turn.gaps = [g for g in turn.gaps if g[0] > cut]

    # --- output ---

    def _request(self, kind: str, end: int | None) -> Request:
        self._serial += 1
        turn = self._turn
        assert turn.decode_from is not None
        request = Request(self._serial, turn.serial, kind, turn.decode_from, end, self.last_speech_end)
        if kind != "interim":
            self._newest_final = request.serial
        self.requests.append(request)
        return request

    def _emit(self, event: str, **extra: Any) -> None:
        turn = self._turn
        words = turn.words if self.state is not State.IDLE or event == "StartOfTurn" else []
        if event == "Update" and self.state is State.IDLE:
            words = []
        body: dict[str, Any] = {
            "type": "TurnInfo",
            "event": event,
            "turn_index": self.turn_index,
            "audio_window_start": round(turn.window_start / RATE, 3),
            "audio_window_end": round(self.now / RATE, 3),
            "transcript": text_of(words, True),
            "words": [
                {"word": w.punctuated, "confidence": w.confidence, "start": w.start, "end": w.end} for w in words
            ],
            "end_of_turn_confidence": round(self.confidence, 4),
            **extra,
            "languages": languages_of(words),  # the session keeps it for flux-general-multi only
        }
        self.out.append(body)
        self._next_update = self.now + int(UPDATE_S * RATE)
