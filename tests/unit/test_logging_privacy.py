"""No PHI in logs: the sender id in Rasa's conversation URLs never reaches a log line."""

from __future__ import annotations

import logging

import httpx
import pytest

from coach.cli import configure_logging

PHONE_SENDER = "whatsapp:+447700900123"


def _trigger_intent() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with httpx.Client(transport=transport, base_url="http://127.0.0.1:5005") as client:
        client.post(f"/conversations/{PHONE_SENDER}/trigger_intent", json={"name": "x"})


def test_http_request_urls_with_sender_ids_are_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    with caplog.at_level(logging.INFO):
        _trigger_intent()
    assert "447700900123" in caplog.text  # httpx does log request URLs at INFO ...
    caplog.clear()
    configure_logging("INFO")
    with caplog.at_level(logging.INFO):
        _trigger_intent()
        logging.getLogger("coach.scheduler").info("scheduler still logs")
    assert "447700900123" not in caplog.text  # ... but not once the coach configured logging
    assert "scheduler still logs" in caplog.text
