"""Proactive prompts through Rasa's HTTP API (`trigger_intent`, Rasa started with --enable-api)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

# Characters of a sender id sent as they are: Sanic does not decode the path (`whatsapp:+44…`).
SENDER_SAFE = ":+@"


class RasaError(Exception):
    """Rasa did not accept the trigger (down, timeout, or an error status)."""


def trigger_intent(
    client: httpx.Client,
    rasa_url: str,
    token: str,
    sender_id: str,
    output_channel: str,
    intent: str,
    entities: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """POST /conversations/{sender}/trigger_intent?output_channel=…; Rasa's answer (with the
    `messages` the output channel collected). Raises RasaError."""
    url = (
        f"{rasa_url.rstrip('/')}/conversations/{quote(sender_id, safe=SENDER_SAFE)}/trigger_intent"
    )
    params = {"output_channel": output_channel}
    if token:
        params["token"] = token
    try:
        response = client.post(
            url, params=params, json={"name": intent, "entities": entities or {}}
        )
    except httpx.HTTPError as exc:
        raise RasaError(f"rasa unavailable: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise RasaError(f"rasa http {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
