"""What the decoder says about where a turn's words stop (model thread).

At a pause the turn's audio is decoded (a `Window` through the shared `LiveDecoder`); this reads one more
thing from the same Whisper model on the same encoder output: the probability it gives to a
sentence-final mark right after the last word. Whisper punctuates from the audio as much as from the
words (falling pitch, a breath), so after "...for your country" it is sure of the full stop, and after
"And so my fellow Americans" it is not. One teacher-forced pass of the decoder over the words (CTranslate2's
`align`, the call word timestamps use) gives every token's probability at once; only the last is kept.
"""

from __future__ import annotations

import threading

import ctranslate2
import numpy as np
from faster_whisper.tokenizer import Tokenizer

from opengram.engines.languages import ENGLISH, whisper_language
from opengram.engines.live_decode import FULL_WINDOW, Window, window_frames
from opengram.speech.live.turns.model import Evidence
from opengram.speech.words import plain_word

FINAL = ".?!"
CONTINUING = ",;:-…"
_tokenizers: dict[tuple[int, str], Tokenizer] = {}
_lock = threading.Lock()


def _tokenizer(model, language: str) -> Tokenizer:
    key = (id(model), language)
    with _lock:
        tok = _tokenizers.get(key)
        if tok is None:
            tok = _tokenizers[key] = Tokenizer(
                model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language
            )
    return tok


def _encoded(model, window: Window) -> np.ndarray:
    """The window's encoder output: the one its decode computed, or a fresh one (a full-window decode)."""
    if window.encoded is not None:
        return window.encoded
    frames = min(window_frames(window.audio.size / 16000), FULL_WINDOW)
    features = model.feature_extractor(window.audio)[:, :frames]
    features = np.pad(features, ((0, 0), (0, frames - features.shape[1])))
    out = model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], np.float32)))
    window.encoded = np.array(out)
    return window.encoded


def split_mark(text: str) -> tuple[str, str]:
    """`text` without its trailing punctuation, and what that punctuation says: final, comma or nothing."""
    stripped = text.rstrip()
    body = stripped.rstrip(FINAL + CONTINUING + "\"')” ")
    tail = stripped[len(body) :]
    if any(c in FINAL for c in tail) and not tail.endswith("..."):
        return body, "final"
    if tail:
        return body, "comma"
    return body, ""


def of_text(model, language: str | None, window: Window, text: str) -> Evidence | None:
    """The evidence about the end of `text`, decoded from `window` (blocking; the model thread)."""
    body, mark = split_mark(text)
    words = [w for w in (plain_word(t) for t in body.split()) if w]
    if not words:
        return None
    # A question keeps its own mark; otherwise the full stop stands for every sentence-final mark.
    final = "?" if text.rstrip().endswith("?") else "."
    code = ENGLISH if not model.model.is_multilingual else (whisper_language(language) or ENGLISH)
    tok = _tokenizer(model, code)
    tokens = tok.encode(" " + body.strip()) + tok.encode(final)
    if len(tokens) >= model.max_length // 2:
        tokens = tokens[-(model.max_length // 2 - 1) :]
    encoded = _encoded(model, window)
    frames = max(1, window.audio.size // 160)
    result = model.model.align(
        ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded)), tok.sot_sequence, [tokens], frames
    )
    p_end = float(result[0].text_token_probs[-1])
    return Evidence(p_end=p_end, mark=mark, last_word=words[-1], words=len(words))
