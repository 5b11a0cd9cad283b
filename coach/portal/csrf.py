"""CSRF protection: every unsafe request carries a token bound to the visitor's session.

Visitors with a session cookie get tokens bound to that cookie; anonymous visitors (sign-in form,
acknowledge links) get a random `coach_anon` cookie their token is bound to. Forms send the
token as the `csrf_token` field, scripts as the `X-CSRF-Token` header. A cross-site `Origin`
header is refused as well.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from coach.portal.sessions import COOKIE_NAME as SESSION_COOKIE
from coach.portal.signing import mac

ANON_COOKIE = "coach_anon"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def anon_id(request: Request) -> str:
    """The anonymous visitor id (from the cookie, or a new one the response will set)."""
    existing = request.cookies.get(ANON_COOKIE)
    if existing and len(existing) >= 20:
        return existing
    fresh = getattr(request.state, "new_anon_id", None)
    if fresh is None:
        fresh = secrets.token_urlsafe(24)
        request.state.new_anon_id = fresh
    return fresh


def csrf_token(request: Request) -> str:
    """The token forms on this page must send back."""
    session_token = request.cookies.get(SESSION_COOKIE)
    binding = f"session:{session_token}" if session_token else f"anon:{anon_id(request)}"
    return mac("csrf", binding)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def csrf_protect(request: Request) -> None:
    """Dependency on every route: unsafe methods need a valid token and a same-site origin."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(FIELD)
    if not _same_origin(request) or not isinstance(sent, str):
        raise HTTPException(status_code=403, detail="Missing or invalid form token.")
    if not hmac.compare_digest(sent, csrf_token(request)):
        raise HTTPException(status_code=403, detail="Missing or invalid form token.")
