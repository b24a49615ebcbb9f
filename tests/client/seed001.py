"""Every example of seed 001 (the old Deepgram Python SDK's README), as the README gives it, with
`from deepgram import Deepgram` the only line changed (see `run`). Where the README's text is cut off
(the live example's `live(` call, closing brackets), it is filled in as its comments describe; placeholders the
README leaves to the reader (`DEEPGRAM_API_KEY`, `PROJECT_ID`, `URL = ''`, `localhost:8080`) are filled
by the tests."""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

REMOTE_FILES = """
from deepgram import Deepgram
import asyncio, json


async def main():
  # Initializes the Deepgram SDK
  deepgram = Deepgram(DEEPGRAM_API_KEY)
  source = {'url': FILE_URL}
  response = await asyncio.create_task(
      deepgram.transcription.prerecorded(source, {
          'smart_format': True,
          'model': 'nova',
      })
  )
  print(json.dumps(response, indent=4))

asyncio.run(main())
"""

LOCAL_FILES = """
from deepgram import Deepgram
import json

PATH_TO_FILE = 'some/file.wav'

def main():
    # Initializes the Deepgram SDK
    deepgram = Deepgram(DEEPGRAM_API_KEY)
    # Open the audio file
    with open(PATH_TO_FILE, 'rb') as audio:
        # ...or replace mimetype as appropriate
        source = {'buffer': audio, 'mimetype': 'audio/wav'}
        response = deepgram.transcription.sync_prerecorded(source, {'punctuate': True})
        print(json.dumps(response, indent=4))

main()
"""

LIVE_AUDIO = """
from deepgram import Deepgram
import asyncio
import aiohttp

# Your Deepgram API Key

# URL for the audio you would like to stream
URL = ''

async def main():
  # Initialize the Deepgram SDK
  deepgram = Deepgram(DEEPGRAM_API_KEY)

  # Create a websocket connection to Deepgram
  # In this example, punctuation is turned on, interim results are turned off, and language is set to US English.
  try:
    deepgramLive = await deepgram.transcription.live({ 'punctuate': True, 'interim_results': False, 'language': 'en-US' })
  except Exception as e:
    print(f'Could not open socket: {e}')
    return

  # Listen for the connection to close
  deepgramLive.registerHandler(deepgramLive.event.CLOSE, lambda c: print(f'Connection closed with code {c}.'))

  # Listen for any transcripts received from Deepgram and write them to the console
  deepgramLive.registerHandler(deepgramLive.event.TRANSCRIPT_RECEIVED, print)

  # Listen for the connection to open and send streaming audio from the URL to Deepgram
  async with aiohttp.ClientSession() as session:
    async with session.get(URL) as audio:
      while True:
        data = await audio.content.readany()
        deepgramLive.send(data)

        # If there's no data coming from the livestream then break out of the loop
        if not data:
            break

  # Indicate that we've finished sending data by sending the customary zero-byte message to the Deepgram streaming endpoint, and wait until we get back the final summary metadata object
  await deepgramLive.finish()

asyncio.run(main())
"""

CUSTOM_ENDPOINT = """
from deepgram import Deepgram

dg_client = Deepgram({
  "api_key": DEEPGRAM_API_KEY,
  "api_url": "http://localhost:8080/v1/listen"
})
"""

# "Transcription options": both forms of the same call.
OPTIONS_DICT = "response = await dg_client.transcription.prerecorded(source, {'punctuate': True, 'keywords': ['first:5', 'second']})"
OPTIONS_KWARGS = (
    "response = await dg_client.transcription.prerecorded(source, punctuate=True, keywords=['first:5', 'second'])"
)

# The management examples, one statement each, in the README's order.
PROJECTS_LIST = "projects = await deepgram.projects.list()"
PROJECTS_GET = "project = await deepgram.projects.get(PROJECT_ID)"
PROJECTS_UPDATE = "updateResponse = await deepgram.projects.update(project)"
KEYS_LIST = "response = await deepgram.keys.list(PROJECT_ID)"
KEYS_CREATE = "response = await deepgram.keys.create(PROJECT_ID, COMMENT_FOR_KEY, SCOPES)"
KEYS_DELETE = "await deepgram.keys.delete(PROJECT_ID, KEY_ID)"
MEMBERS_LIST = "response = await deepgram.members.list_members(PROJECT_ID)"
MEMBERS_REMOVE = "response = await deepgram.members.remove_member(PROJECT_ID, MEMBER_ID)"
SCOPES_GET = "response = await deepgram.scopes.get_scope(PROJECT_ID, MEMBER_ID)"
SCOPES_UPDATE = "response = await deepgram.scopes.update_scope(PROJECT_ID, MEMBER_ID, 'member')"
INVITES_LIST = "response = await deepgram.invitations.list_invitations(PROJECT_ID)"
# The README writes the object JavaScript-style (`{email: '', scope: 'member'}`); in Python its keys are strings.
INVITES_SEND = """response = await deepgram.invitations.send_invitation(PROJECT_ID, {
  'email': EMAIL,
  'scope': 'member',
})"""
INVITES_REMOVE = """response = await deepgram.invitations.remove_invitation(
  PROJECT_ID,
  EMAIL
)"""
LEAVE_PROJECT = "response = await deepgram.invitations.leave_project(PROJECT_ID)"
USAGE_REQUESTS = """response = await deepgram.usage.list_requests(PROJECT_ID, {
  'limit': 10,
  # other options are available
})"""
USAGE_REQUEST = "response = await deepgram.usage.get_request(PROJECT_ID, REQUEST_ID)"
USAGE_GET = """response = await deepgram.usage.get_usage(PROJECT_ID, {
  'start': '2020-01-01T00:00:00+00:00',
  # other options are available
})"""
USAGE_FIELDS = """response = await deepgram.usage.get_fields(PROJECT_ID, {
  'start': '2020-01-01T00:00:00+00:00',
  # other options are available
})"""
BALANCES_LIST = "response = await deepgram.billing.list_balance(PROJECT_ID)"
# The README's line is JavaScript (`const response = deepgram.billing.get_balance(…)`); the Python call awaits.
BALANCE_GET = "response = await deepgram.billing.get_balance(PROJECT_ID, BALANCE_ID)"


def run(source: str, **names: Any) -> dict[str, Any]:
    """Run a whole example as a script, the import its one changed line; returns its globals."""
    assert "from deepgram import Deepgram" in source
    source = source.replace("from deepgram import Deepgram", "from opengram.client import Deepgram")
    scope: dict[str, Any] = {"__name__": "__main__", **names}
    exec(compile(source, "<seed 001>", "exec"), scope)
    return scope


def run_statement(statement: str, **names: Any) -> dict[str, Any]:
    """Run one `await …` statement of the README inside a coroutine, with the client as `deepgram` (or
    `dg_client`) and the placeholders as names; returns the names it assigned."""
    body = textwrap.indent(statement, "    ")
    code = f"async def __example():\n{body}\n    return locals()\n"
    scope: dict[str, Any] = dict(names)
    exec(compile(code, "<seed 001>", "exec"), scope)
    return asyncio.run(scope["__example"]())
