"""A terminal chat client for the running coach over Rasa's REST channel (with its token)."""

from __future__ import annotations

from pathlib import Path

import httpx

from coach.channels.inbound import CLIP_ENTITY, CLIP_INTENT
from coach.clips.config import load_config
from coach.clips.errors import ClipRejected
from coach.config import get_settings
from coach.media.incoming import IncomingWriter, MediaRejected
from coach.messaging.cli import rest_token
from coach.scheduler.rasa_client import RasaError, trigger_intent

TIMEOUT_S = 180  # a clip analysis runs inside the turn
CLIP_COMMAND = "/clip "
CHUNK_BYTES = 1 << 20


def stage_clip(path: Path, media_dir: Path | None = None) -> str:
    """Hand a selfie clip over the way a messaging channel does (size cap, bytes sniffed,
    quarantined for the action server to validate); its clip id.

    Raises `ClipRejected` (with the patient-facing retake message) or `OSError`."""
    config = load_config()
    writer = IncomingWriter(config.limits.max_bytes, media_dir)
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
                writer.write(chunk)
        return writer.finish()
    except MediaRejected as rejected:
        retake = config.messages["retake"]
        raise ClipRejected(rejected.code, retake[rejected.code].strip()) from rejected
    except OSError:
        writer.discard()
        raise


def _show(messages: list[dict]) -> None:
    for message in messages:
        if message.get("text"):
            print(f"coach: {message['text']}")
        for index, button in enumerate(message.get("buttons") or [], start=1):
            print(f"   [{index}] {button.get('title')}")


def _send_clip(client: httpx.Client, sender: str, rasa_url: str, path: Path) -> list[dict] | None:
    try:
        clip_id = stage_clip(path)
    except ClipRejected as rejection:
        print(f"coach: {rejection.message}")
        return None
    except OSError as error:
        print(f"(that file could not be read: {error.strerror or error})")
        return None
    answer = trigger_intent(
        client,
        rasa_url,
        get_settings().rasa_token,
        sender,
        "rest",
        CLIP_INTENT,
        {CLIP_ENTITY: clip_id},
    )
    return answer.get("messages") or []


def run_chat(sender: str, rasa_url: str) -> int:
    """Read lines from the terminal and print the coach's replies until EOF / Ctrl-C."""
    url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
    print(f"Chatting as '{sender}' via {url}. Type /quit or press Ctrl-D to leave.")
    print("Try: 'start my check-in', 'can I do exercises from YouTube?', 'weekly questionnaire'.")
    print("Send a selfie clip with: /clip PATH/TO/CLIP.mp4")
    headers = {"Authorization": f"Bearer {rest_token(sender)}"}
    last_buttons: list[dict] = []
    with httpx.Client(timeout=TIMEOUT_S, headers=headers) as client:
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
            try:
                if text.startswith(CLIP_COMMAND):
                    path = Path(text[len(CLIP_COMMAND) :].strip()).expanduser()
                    messages = _send_clip(client, sender, rasa_url, path)
                    if messages is None:
                        continue
                else:
                    reply = client.post(url, json={"sender": sender, "message": text})
                    reply.raise_for_status()
                    messages = reply.json()
            except (httpx.HTTPError, RasaError) as error:
                print(f"(the coach could not be reached: {error.__class__.__name__}; try again)")
                continue
            _show(messages)
            last_buttons = next((m["buttons"] for m in reversed(messages) if m.get("buttons")), [])
