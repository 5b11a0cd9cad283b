"""Proactive prompts through Rasa's HTTP API (`trigger_intent`, Rasa started with --enable-api)."""

from __future__ import annotations

from urllib.parse import quote

import httpx


class RasaError(Exception):
    """Rasa did not accept the trigger (down, timeout, or an error status)."""


def trigger_intent(
    client: httpx.Client,
    rasa_url: str,
    token: str,
    sender_id: str,
    output_channel: str,
    intent: str,
) -> None:
    """POST /conversations/{sender}/trigger_intent?output_channel=…; raises RasaError."""
    url = f"{rasa_url.rstrip('/')}/conversations/{quote(sender_id, safe='')}/trigger_intent"
    params = {"output_channel": output_channel}
    if token:
        params["token"] = token
    try:
        response = client.post(url, params=params, json={"name": intent, "entities": {}})
    except httpx.HTTPError as exc:
        raise RasaError(f"rasa unavailable: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise RasaError(f"rasa http {response.status_code}")
