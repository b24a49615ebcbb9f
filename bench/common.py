"""What every benchmark here needs: where the shared recordings are, a free port, a started server, and the
machine's facts."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

# shared/ sits beside the checkout (../shared), or inside it in CI's clone.
AUDIO_DIR = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / "audio", Path(__file__).resolve().parents[1] / "shared" / "audio") if p.is_dir()),
    Path("../shared/audio"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(proc: subprocess.Popen, url: str, log_path: Path, timeout_s: float = 180) -> None:
    """Until the server at `url` answers /healthz (start-up migrates the database and loads the models);
    RuntimeError with the end of its log if it exits or takes longer."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server not healthy after {timeout_s:.0f} s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


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
