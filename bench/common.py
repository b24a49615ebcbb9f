"""What every benchmark here needs: where the shared recordings are, a free port, and the machine's facts."""

from __future__ import annotations

import os
import platform
import socket
from datetime import datetime, timezone
from pathlib import Path

# shared/ sits beside the checkout (../shared), or inside it in CI's clone.
AUDIO_DIR = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / "audio", Path(__file__).resolve().parents[1] / "shared" / "audio") if p.is_dir()),
    Path("../shared/audio"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> dict:
    """CPU, core count, Python, load and date, for the RESULTS.md line that goes with the figures."""
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
