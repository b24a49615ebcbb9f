"""Live transcription (WebSocket /v1/listen and the legacy /v2 stream): one `LiveStream` per socket, the
decode schedule every stream shares, and the pieces they are made of. See `stream.py` for the design."""
