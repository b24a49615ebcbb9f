"""Silero VAD (v6, the ONNX file bundled with faster-whisper) run frame by frame for live audio.

One ONNX session serves every stream: the recurrent state lives in each `StreamingVad`, so the session is
shared and thread-safe. A frame is 512 samples (32 ms) at 16 kHz; each frame is fed with the last 64
samples of the one before, exactly as faster-whisper's whole-file `get_speech_timestamps` does, so a
stream's probabilities are the same as the offline ones.
"""

from __future__ import annotations

import os
import threading

import numpy as np

FRAME = 512  # samples per VAD frame at 16 kHz (32 ms)
CONTEXT = 64
SAMPLE_RATE = 16000

_session = None
_session_lock = threading.Lock()


def _shared_session():
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                import onnxruntime
                from faster_whisper.utils import get_assets_path

                opts = onnxruntime.SessionOptions()
                opts.inter_op_num_threads = 1
                opts.intra_op_num_threads = 1
                opts.enable_cpu_mem_arena = False
                opts.log_severity_level = 4
                _session = onnxruntime.InferenceSession(
                    os.path.join(get_assets_path(), "silero_vad_v6.onnx"),
                    providers=["CPUExecutionProvider"],
                    sess_options=opts,
                )
    return _session


class StreamingVad:
    """Speech probabilities of one audio channel, fed in pieces of any length."""

    def __init__(self):
        self._session = _shared_session()
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self.frames = 0  # frames scored so far

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """Probabilities for every whole frame completed by `samples` (the remainder waits for more audio)."""
        if self._pending.size:
            samples = np.concatenate([self._pending, samples])
        n = samples.size // FRAME
        self._pending = samples[n * FRAME :].copy()
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        frames = samples[: n * FRAME].reshape(n, FRAME).astype(np.float32, copy=False)
        context = np.concatenate([self._context[None], frames[:-1, -CONTEXT:]], axis=0)
        batch = np.concatenate([context, frames], axis=1)
        probs, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = frames[-1, -CONTEXT:].copy()
        self.frames += n
        return np.asarray(probs, dtype=np.float32).reshape(-1)
