"""`opengram transcribe FILE|URL`: a transcript as text, JSON, SRT or WebVTT, from a pre-recorded request
or (`--stream`) a live stream fed in real time, through `opengram.client`."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from opengram.commands.common import ServerKey, ServerUrl, call, connect, fail

FORMATS = ("text", "json", "srt", "vtt")
RATE = 16000  # what --stream sends: linear16, mono
CHUNK_S = 0.1  # one message per 100 ms of audio, as a microphone would
UPLOAD_CHUNK = 1 << 16

# Progress goes to stderr and vanishes when done; stdout keeps only the transcript.
stderr = Console(stderr=True)


def _progress(*columns) -> Progress:
    return Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal)


def _options(model, language, punctuate, smart_format, diarize, extra: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {"model": model, "language": language, "punctuate": punctuate,
                               "smart_format": smart_format or None, "diarize": diarize or None}  # fmt: skip
    for item in extra:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--option")
        options.setdefault(name, [])
        if not isinstance(options[name], list):
            options[name] = [options[name]] if options[name] is not None else []
        options[name].append(value)  # repeated names become repeated parameters (keywords, search, tag…)
    return options


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def render(response: dict[str, Any], fmt: str) -> str:
    """A pre-recorded (or assembled stream) response in the asked format."""
    if fmt == "json":
        return json.dumps(response, indent=2)
    if fmt in ("srt", "vtt"):
        from deepgram_captions import ConverterException, DeepgramConverter, srt, webvtt

        try:
            converter = DeepgramConverter(response)
        except ConverterException:
            fail("nothing was said: no captions to write")
        return (srt if fmt == "srt" else webvtt)(converter)
    lines = []
    for channel in response["results"]["channels"]:
        best = channel["alternatives"][0]
        paragraphs = best.get("paragraphs")
        lines.append(paragraphs["transcript"].strip() if paragraphs else best["transcript"])
    return "\n".join(lines)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        print(text)
    else:
        output.write_text(text + ("" if text.endswith("\n") else "\n"))
        stderr.print(f"wrote {output}", highlight=False)


async def _prerecorded(client, source: str, options: dict[str, Any]) -> dict[str, Any]:
    if _is_url(source):
        with _progress(SpinnerColumn(), TextColumn("transcribing"), TimeElapsedColumn()) as progress:
            progress.add_task("transcribing")
            return await client.transcription.prerecorded({"url": source}, options)
    path = Path(source)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    with _progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn()
    ) as progress:
        task = progress.add_task("uploading", total=path.stat().st_size)

        async def chunks() -> AsyncIterator[bytes]:
            with path.open("rb") as f:
                while data := f.read(UPLOAD_CHUNK):
                    progress.update(task, advance=len(data))
                    yield data
            progress.update(task, description="transcribing")  # uploaded; the spinner and clock go on

        return await client.transcription.prerecorded({"buffer": chunks(), "mimetype": mimetype}, options)


def pcm_chunks(source: str, seconds: float = CHUNK_S) -> Iterator[bytes]:
    """Any audio PyAV reads, decoded lazily to 16 kHz mono linear16, in chunks of `seconds`."""
    import av

    size = int(RATE * seconds) * 2
    pending = b""
    with av.open(source) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                pending += out.to_ndarray().tobytes()
                while len(pending) >= size:
                    yield pending[:size]
                    pending = pending[size:]
        for out in resampler.resample(None):
            pending += out.to_ndarray().tobytes()
    while pending:
        yield pending[:size]
        pending = pending[size:]


def _duration(source: str) -> float | None:
    import av

    with av.open(source) as container:
        return container.duration / 1_000_000 if container.duration else None


async def _stream(client, source: str, options: dict[str, Any], fmt: str, live_text: bool) -> dict[str, Any]:
    """Feed the audio in real time; returns the finals assembled as one response. With `live_text`,
    each final transcript is printed as it arrives (JSON lines of every message for `json`)."""
    options = {**options, "encoding": "linear16", "sample_rate": RATE, "channels": 1}
    finals: list[dict[str, Any]] = []
    problems: list[str] = []
    summary: dict[str, Any] = {}

    def received(message: dict[str, Any]) -> None:
        if live_text and fmt == "json":
            print(json.dumps(message), flush=True)
        if message.get("type") == "Results" and message.get("is_final"):
            finals.append(message)
            text = message["channel"]["alternatives"][0]["transcript"]
            if live_text and fmt == "text" and text:
                print(text, flush=True)
        elif message.get("type") == "Metadata":
            summary.update(message)

    try:
        total = _duration(source)
        chunks = pcm_chunks(source)
    except Exception as exc:  # PyAV's errors: not audio, no such file
        fail(f"cannot read {source}: {exc}")
    live = await client.transcription.live(options)
    live.register_handler(live.event.TRANSCRIPT_RECEIVED, received)
    live.register_handler(live.event.ERROR, problems.append)
    with _progress(
        TextColumn("streaming"), BarColumn(), TextColumn("{task.completed:.1f}/{task.total:.1f} s"), TimeElapsedColumn()
    ) as progress:
        task = progress.add_task("streaming", total=total)
        started, sent = time.monotonic(), 0.0
        for chunk in chunks:
            if live.done:  # the server ended the stream early
                break
            live.send(chunk)
            sent += len(chunk) / (2 * RATE)
            progress.update(task, completed=sent)
            await asyncio.sleep(max(0.0, started + sent - time.monotonic()))  # real time
        await live.finish()
    if problems:
        fail("; ".join(problems))
    words = [w for m in finals for w in m["channel"]["alternatives"][0]["words"]]
    transcript = " ".join(t for m in finals if (t := m["channel"]["alternatives"][0]["transcript"]))
    return {
        "metadata": summary,
        "results": {"channels": [{"alternatives": [{"transcript": transcript, "words": words}]}]},
    }


def transcribe(
    source: str = typer.Argument(..., metavar="FILE|URL", help="An audio or video file, or an http(s) URL."),
    model: str | None = typer.Option(None, help="e.g. nova-3, whisper-base, or a model the server has."),
    language: str | None = typer.Option(None, help="BCP-47 tag, e.g. en or de."),
    punctuate: bool = typer.Option(True, "--punctuate/--no-punctuate"),
    smart_format: bool = typer.Option(False, "--smart-format", help="Numbers, dates and paragraphs formatted."),
    diarize: bool = typer.Option(False, "--diarize", help="Label speakers."),
    option: list[str] = typer.Option(
        [], "--option", "-O", metavar="NAME=VALUE", help="Any other listen parameter; repeat for several."
    ),
    stream: bool = typer.Option(False, "--stream", help="Send it as a live stream, paced in real time."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json, srt or vtt"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of to stdout."),
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """Transcribe a recording, or stream it live with --stream."""
    if fmt not in FORMATS:
        raise typer.BadParameter("text, json, srt or vtt", param_hint="--format")
    if not _is_url(source) and not Path(source).is_file():
        fail(f"no such file: {source}")
    options = _options(model, language, punctuate, smart_format, diarize, option)
    if fmt in ("srt", "vtt") and not stream:
        options.setdefault("utterances", True)  # captions break at utterances
    client = connect(url, key)
    if stream:
        # On a terminal, text shows up as it is recognised; files and other formats get the whole at the end.
        live_text = output is None and fmt in ("text", "json")
        response = call(_stream(client, source, options, fmt, live_text))
        if not live_text:
            _emit(render(response, fmt), output)
        return
    _emit(render(call(_prerecorded(client, source, options)), fmt), output)
