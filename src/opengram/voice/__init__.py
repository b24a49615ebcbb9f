"""Text to speech: output formats, options, and the service that turns text into streamed audio."""
