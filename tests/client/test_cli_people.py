"""`opengram transcribe` and `opengram speak`: the commands for people, against the live server."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from typer.testing import CliRunner

from opengram.cli import app
from tests import audio

runner = CliRunner()
CLIP = "cards_005.wav"  # 3.5 s: "eight of spades four of clubs seven of hearts"


def opengram(server, *args: str, check: bool = True):
    result = runner.invoke(app, list(args), env={"OPENGRAM_URL": server.url, "OPENGRAM_KEY": server.key})
    if check:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def test_transcribe_a_file_as_text(server):
    """As a person types it: a subprocess, the server and key from the environment."""
    out = subprocess.run(
        [sys.executable, "-m", "opengram", "transcribe", str(audio.path(CLIP))],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**__import__("os").environ, "OPENGRAM_URL": server.url, "OPENGRAM_KEY": server.key},
    ).stdout
    assert audio.wer(audio.reference(CLIP), out.strip()) <= 0.2


def test_transcribe_json_with_options(server):
    out = opengram(
        server,
        "transcribe",
        str(audio.path(CLIP)),
        "-f",
        "json",
        "--smart-format",
        "-O",
        "search=clubs",
        "-O",
        "tag=cli",
    ).stdout
    response = json.loads(out)
    assert response["metadata"]["tags"] == ["cli"]
    assert response["results"]["channels"][0]["search"][0]["query"] == "clubs"


def test_transcribe_a_url_to_srt_and_vtt(server, files, tmp_path):
    url = f"{files.url}/audio/{CLIP}"
    srt = opengram(server, "transcribe", url, "--format", "srt").stdout
    assert re.match(r"1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n\S", srt)
    vtt_file = tmp_path / "out.vtt"
    opengram(server, "transcribe", str(audio.path(CLIP)), "-f", "vtt", "-o", str(vtt_file))
    vtt = vtt_file.read_text()
    assert vtt.startswith("WEBVTT") and "-->" in vtt
    said = " ".join(line for line in srt.splitlines() if line and not line[0].isdigit())
    assert audio.wer(audio.reference(CLIP), said) <= 0.2


def test_transcribe_stream_in_real_time(server):
    """`--stream`: PyAV decodes, linear16 goes out paced at real time, finals come back as they are heard."""
    import time

    started = time.monotonic()
    out = opengram(server, "transcribe", str(audio.path(CLIP)), "--stream").stdout
    took = time.monotonic() - started
    assert took >= 3.4  # paced, not sent at once: the clip is 3.5 s
    assert audio.wer(audio.reference(CLIP), " ".join(out.split())) <= 0.25


def test_transcribe_stream_to_captions(server, tmp_path):
    srt_file = tmp_path / "live.srt"
    opengram(server, "transcribe", str(audio.path("cards_001.wav")), "--stream", "-f", "srt", "-o", str(srt_file))
    srt = srt_file.read_text()
    assert srt.startswith("1\n00:00:0") and audio.wer("ten of clubs", srt.splitlines()[2]) <= 0.34


def test_transcribe_refusals(server, tmp_path):
    missing = opengram(server, "transcribe", str(tmp_path / "nothing.wav"), check=False)
    assert missing.exit_code == 1 and "no such file" in missing.stdout
    bad_format = opengram(server, "transcribe", str(audio.path(CLIP)), "-f", "docx", check=False)
    assert bad_format.exit_code == 2 and "--format" in bad_format.output
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("not audio at all")
    refused = opengram(server, "transcribe", str(not_audio), check=False)
    assert refused.exit_code == 1 and "400: Bad Request: failed to process audio" in refused.stdout
    streamed = opengram(server, "transcribe", str(not_audio), "--stream", check=False)
    assert streamed.exit_code == 1 and "cannot read" in streamed.stdout


def test_speak_writes_audio(server, tmp_path):
    out_file = tmp_path / "out.wav"
    result = opengram(server, "speak", "Hello from Opengram.", "-o", str(out_file))
    assert "wrote" in result.stdout
    import av

    with av.open(str(out_file)) as container:
        assert container.format.name == "wav" and container.duration > 0
