"""`opengram speak "text" -o out.wav`: text to speech over POST /v1/speak, through `opengram.client`."""

from __future__ import annotations

from pathlib import Path

import typer

from opengram.commands.common import ServerKey, ServerUrl, call, connect, console

# What the file name asks for, when --encoding does not say (Deepgram's own default is mp3).
BY_SUFFIX = {
    ".wav": {"encoding": "linear16", "container": "wav"},
    ".mp3": {"encoding": "mp3"},
    ".flac": {"encoding": "flac"},
    ".ogg": {"encoding": "opus", "container": "ogg"},
    ".opus": {"encoding": "opus", "container": "ogg"},
    ".aac": {"encoding": "aac"},
    ".raw": {"encoding": "linear16", "container": "none"},
    ".pcm": {"encoding": "linear16", "container": "none"},
}


def speak(
    text: str = typer.Argument(..., help="What to say."),
    output: Path = typer.Option(..., "--output", "-o", help="The audio file to write (.wav, .mp3, .flac, .ogg…)."),
    model: str | None = typer.Option(None, help="A voice, e.g. aura-asteria-en (default: the server's)."),
    encoding: str | None = typer.Option(None, help="linear16, mulaw, alaw, mp3, opus, flac or aac (default: from -o)."),
    container: str | None = typer.Option(None, help="wav, ogg or none."),
    sample_rate: int | None = typer.Option(None, help="Hz, where the encoding allows a choice."),
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """Say TEXT and write the audio to a file."""
    options = dict(BY_SUFFIX.get(output.suffix.lower(), {})) if encoding is None else {"encoding": encoding}
    options.update({k: v for k, v in (("model", model), ("container", container), ("sample_rate", sample_rate)) if v})
    audio = call(connect(url, key).speak.generate(text, options))
    output.write_bytes(audio)
    console.print(f"wrote {len(audio)} bytes to {output}", highlight=False)
