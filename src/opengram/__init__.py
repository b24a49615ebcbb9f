"""Opengram: a self-hosted speech platform that speaks the Deepgram API."""

__version__ = "0.1.0"
