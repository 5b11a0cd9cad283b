"""A terminal chat client for the running coach over Rasa's REST channel."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from coach.clips.errors import ClipRejected
from coach.clips.intake import store_clip_file

TIMEOUT_S = 60
CLIP_COMMAND = "/clip "
CLIP_UPLOADED_INTENT = "/EXTERNAL_clip_uploaded"


def clip_message(path: Path, media_dir: Path | None = None) -> str:
    """Store a selfie clip as a messaging channel would; the message that names it.

    Raises `ClipRejected` (with the patient-facing retake message) or `OSError`."""
    stored = store_clip_file(path, media_dir)
    return CLIP_UPLOADED_INTENT + json.dumps({"clip_id": stored.clip_id})


def _show(messages: list[dict]) -> None:
    for message in messages:
        if message.get("text"):
            print(f"coach: {message['text']}")
        for index, button in enumerate(message.get("buttons") or [], start=1):
            print(f"   [{index}] {button.get('title')}")


def run_chat(sender: str, rasa_url: str) -> int:
    """Read lines from the terminal and print the coach's replies until EOF / Ctrl-C."""
    url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
    print(f"Chatting as '{sender}' via {url}. Type /quit or press Ctrl-D to leave.")
    print("Try: 'start my check-in', 'can I do exercises from YouTube?', 'weekly questionnaire'.")
    print("Send a selfie clip with: /clip PATH/TO/CLIP.mp4")
    last_buttons: list[dict] = []
    with httpx.Client(timeout=TIMEOUT_S) as client:
        while True:
            try:
                text = input("you: ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if text in ("/quit", "/exit"):
                return 0
            if text.isdigit() and last_buttons and 1 <= int(text) <= len(last_buttons):
                text = last_buttons[int(text) - 1].get("payload", text)
            if text.startswith(CLIP_COMMAND):
                try:
                    text = clip_message(Path(text[len(CLIP_COMMAND) :].strip()).expanduser())
                except ClipRejected as rejection:
                    print(f"coach: {rejection.message}")
                    continue
                except OSError as error:
                    print(f"(that file could not be read: {error.strerror or error})")
                    continue
            try:
                reply = client.post(url, json={"sender": sender, "message": text})
                reply.raise_for_status()
            except httpx.HTTPError as error:
                print(f"(the coach could not be reached: {error.__class__.__name__}; try again)")
                continue
            messages = reply.json()
            _show(messages)
            last_buttons = next((m["buttons"] for m in reversed(messages) if m.get("buttons")), [])
