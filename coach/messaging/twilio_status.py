"""Twilio delivery status callbacks: POST /twilio/status (FastAPI router, app env).

Signed like every Twilio request (`X-Twilio-Signature`, checked with the `twilio` package
against TWILIO_STATUS_CALLBACK_URL); a failed or undelivered prompt is retried by the next
sweep, on the next channel after repeated failures (coach.messaging.prompts).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from coach.channels.settings import channel_settings
from coach.messaging.prompts import apply_provider_status
from coach.storage.db import transaction

STATUS_PATH = "/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"

router = APIRouter()


def _apply(message_id: str, status: str, error: str) -> None:
    with transaction() as session:
        apply_provider_status(session, message_id, status, error)


@router.post(STATUS_PATH)
async def twilio_status(request: Request) -> Response:
    """Record what Twilio says happened to a message we sent."""
    settings = channel_settings()
    if not settings.twilio_configured:
        return Response("channel not configured", status_code=503)
    # Twilio signs every parameter, blank ones included.
    params = dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )
    url = settings.twilio_status_callback_url or str(request.url)
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature or not RequestValidator(settings.twilio_auth_token).validate(
        url, params, signature
    ):
        return Response("invalid signature", status_code=403)
    message_id = params.get("MessageSid") or params.get("SmsSid") or ""
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    if not message_id or not status:
        return Response("not a status callback", status_code=400)
    await run_in_threadpool(_apply, message_id, status, params.get("ErrorCode", ""))
    return Response(status_code=204)
