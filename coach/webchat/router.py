"""Routes of the web chat page and its API (see coach.webchat)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from coach.channels.identity import SMS, WEBCHAT, make_sender_id
from coach.channels.inbound import CLIP_ENTITY, CLIP_INTENT
from coach.channels.settings import channel_settings, origin_of
from coach.channels.signing import (
    WEBCHAT_PURPOSE,
    InvalidToken,
    bearer,
    sign,
    verify,
)
from coach.clips.config import load_config
from coach.config import get_settings
from coach.content import load_content
from coach.media.incoming import IncomingWriter, MediaRejected
from coach.messaging.prompts import SHOWN, mark, take_queued_prompt
from coach.messaging.upload_links import LinkUsed, check_upload_link, consume_upload_link
from coach.scheduler.rasa_client import RasaError, trigger_intent
from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, ClipAnalysis

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATIC_FILES = {
    "chat.js": "text/javascript",
    "chat.css": "text/css",
    "vendor/socket.io.min.js": "text/javascript",
}
RASA_TIMEOUT_S = 180.0  # a clip analysis runs inside the triggered turn
SECONDS_PER_DAY = 86400
SECONDS_PER_HOUR = 3600

router = APIRouter()
templates = Jinja2Templates(directory=str(HERE / "templates"))


def _policy() -> dict[str, Any]:
    return load_content("channels")


def _refusal(key: str, status: int) -> JSONResponse:
    """A refusal the page shows the patient, worded in content/channels.yml."""
    return JSONResponse({"message": _policy()["webchat"]["errors"][key]}, status)


def _retake(code: str) -> str:
    messages = load_config().messages["retake"]
    return str(messages.get(code) or messages["corrupt"]).strip()


class RateLimiter:
    """At most `limit` events per key in the last `window_s` seconds (this process)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True


_sessions = RateLimiter(
    int(load_content("channels")["webchat"]["sessions_per_ip_per_hour"]), SECONDS_PER_HOUR
)


def _security_headers(response: Response) -> Response:
    rasa = channel_settings().rasa_public_url
    socket = rasa.replace("https://", "wss://").replace("http://", "ws://")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"media-src 'self' blob:; connect-src 'self' {origin_of(rasa)} {origin_of(socket)}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Permissions-Policy"] = "camera=(self), microphone=()"
    return response


def _page(request: Request, mode: str) -> Response:
    webchat = _policy()["webchat"]
    context = {
        "mode": mode,
        "rasa_url": channel_settings().rasa_public_url,
        "cue_card": webchat["cue_card"],
        "countdown_s": webchat["countdown_s"],
    }
    return _security_headers(templates.TemplateResponse(request, "chat.html", context))


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request) -> Response:
    """The chat (the web chat token comes in the link's #t=… fragment, or from this phone)."""
    return _page(request, "chat")


@router.get("/chat/join", response_class=HTMLResponse)
def join_page(request: Request) -> Response:
    """The invite link's page: a new web chat joins with the #code=… fragment."""
    return _page(request, "chat")


@router.get("/chat/upload", response_class=HTMLResponse)
def upload_page(request: Request) -> Response:
    """An SMS patient's one-time clip upload page (#u=… fragment)."""
    return _page(request, "upload")


@router.get("/chat/static/{name:path}")
def static_file(name: str) -> Response:
    """The page's own files (a fixed list: nothing else is read from disk)."""
    if name not in STATIC_FILES:
        return Response(status_code=404)
    return FileResponse(HERE / "static" / name, media_type=STATIC_FILES[name])


@router.post("/chat/api/session")
def new_session(request: Request) -> Response:
    """A new anonymous web chat sender and its token (it joins with an invite code)."""
    address = request.client.host if request.client else "unknown"
    if not _sessions.allow(address):
        return _refusal("too_many_chats", 429)
    sender = make_sender_id(WEBCHAT, uuid.uuid4().hex)
    ttl = float(_policy()["webchat"]["token_ttl_days"]) * SECONDS_PER_DAY
    return JSONResponse({"token": sign(WEBCHAT_PURPOSE, sender, ttl)})


def _web_sender(request: Request) -> str | None:
    try:
        return verify(bearer(request.headers.get("Authorization")), WEBCHAT_PURPOSE).subject
    except InvalidToken:
        return None


def _identity(channel: str, sender_id: str) -> tuple[int, int] | None:
    """(identity id, patient id) of an enrolled sender."""
    with transaction() as session:
        row = session.execute(
            select(ChannelIdentity.id, ChannelIdentity.patient_id).where(
                ChannelIdentity.channel == channel, ChannelIdentity.sender_id == sender_id
            )
        ).first()
    return (row.id, row.patient_id) if row else None


def _trigger(sender_id: str, channel: str, intent: str, entities: dict | None = None) -> dict:
    app = get_settings()
    with httpx.Client(timeout=RASA_TIMEOUT_S) as client:
        return trigger_intent(
            client, app.rasa_url, app.rasa_token, sender_id, channel, intent, entities
        )


def _show_queued_prompts(sender_id: str) -> bool:
    """Show the prompts waiting for this web chat patient, oldest first; True if any."""
    found = _identity(WEBCHAT, sender_id)
    if found is None:
        return False
    shown = False
    while True:
        with transaction() as session:
            delivery = take_queued_prompt(session, found[0])
            if delivery is None:
                return shown
            delivery_id, intent = delivery.id, delivery.intent
        try:
            _trigger(sender_id, WEBCHAT, intent)
        except RasaError as exc:
            log.warning("queued web chat prompt not shown: %s", exc)
            return shown
        with transaction() as session:
            mark(session, delivery_id, SHOWN)
        shown = True


@router.post("/chat/api/inbox")
async def inbox(request: Request) -> Response:
    """Shows the prompts waiting for this patient (the page calls it once its socket is open)."""
    sender = _web_sender(request)
    if sender is None:
        return _refusal("invalid_chat_link", 401)
    shown = await run_in_threadpool(_show_queued_prompts, sender)
    return JSONResponse({"prompted": shown})


async def _receive(request: Request) -> str:
    """The request body, streamed into the clip quarantine with the cap; the clip id."""
    limit = int(_policy()["limits"]["webchat_upload_max_bytes"])
    announced = int(request.headers.get("Content-Length") or 0)
    if announced > limit:
        raise MediaRejected("too_large", f"{announced} bytes announced")
    writer = await run_in_threadpool(IncomingWriter, limit)
    try:
        async for chunk in request.stream():
            writer.write(chunk)
    except BaseException:
        writer.discard()
        raise
    return await run_in_threadpool(writer.finish)


def _analyse_in_background(sender_id: str, channel: str, clip_id: str) -> None:
    try:
        _trigger(sender_id, channel, CLIP_INTENT, {CLIP_ENTITY: clip_id})
    except RasaError as exc:
        log.error("uploaded clip not handed to the coach: %s", exc)


@router.post("/chat/api/clip")
async def upload_clip(request: Request, background: BackgroundTasks) -> Response:
    """A clip recorded on the page; the coach answers in the chat once it has looked at it."""
    sender = _web_sender(request)
    if sender is None:
        return _refusal("invalid_chat_link", 401)
    if await run_in_threadpool(_identity, WEBCHAT, sender) is None:
        return _refusal("join_first", 403)
    try:
        clip_id = await _receive(request)
    except MediaRejected as rejected:
        return JSONResponse({"message": _retake(rejected.code)}, 422)
    background.add_task(_analyse_in_background, sender, WEBCHAT, clip_id)
    return JSONResponse({"status": "received"}, 202)


def _check_link(token: str) -> tuple[int, int, str]:
    with transaction() as session:
        link, identity = check_upload_link(session, token)
        return link.id, identity.patient_id, identity.sender_id


def _analyse_link_upload(sender_id: str, link_id: int, patient_id: int, clip_id: str) -> None:
    """Hand the clip to the coach; the link is used up once a clip was analysed (a clip that
    must be retaken leaves it working, since a text message cannot carry the retake)."""
    _analyse_in_background(sender_id, SMS, clip_id)
    with transaction() as session:
        analysed = session.scalar(
            select(ClipAnalysis.id).where(
                ClipAnalysis.patient_id == patient_id, ClipAnalysis.clip_id == clip_id
            )
        )
        if analysed is not None:
            try:
                consume_upload_link(session, link_id)
            except LinkUsed:
                pass  # a second upload through the same link finished first


@router.post("/chat/api/upload-link-clip")
async def upload_link_clip(request: Request, background: BackgroundTasks) -> Response:
    """A clip from an SMS patient's one-time link; the result comes back by text message."""
    token = bearer(request.headers.get("Authorization"))
    try:
        link_id, patient_id, sender = await run_in_threadpool(_check_link, token)
    except LinkUsed:
        return _refusal("link_used_or_expired", 410)
    except InvalidToken:
        return _refusal("invalid_link", 401)
    try:
        clip_id = await _receive(request)
    except MediaRejected as rejected:
        return JSONResponse({"message": _retake(rejected.code)}, 422)
    background.add_task(_analyse_link_upload, sender, link_id, patient_id, clip_id)
    return JSONResponse({"status": "received"}, 202)
