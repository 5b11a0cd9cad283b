"""Minimal acknowledge endpoint for the signed link (a WSGI app; the portal can mount it).

GET /ack?token=… shows what will be acknowledged and a button; only the POST acknowledges, so
mail scanners that prefetch links cannot acknowledge an alert nobody has read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from coach.notify.ack_link import ExpiredToken, InvalidToken, verify_token
from coach.notify.render import TIME_FORMAT, as_utc, content, format_text
from coach.scheduler.ack import acknowledge
from coach.storage.db import session_factory
from coach.storage.models import Escalation

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 4096
PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><h1>{title}</h1>{body_html}</body></html>"
)
STATUS = {
    "confirm": "200 OK",
    "done": "200 OK",
    "already": "200 OK",
    "expired": "410 Gone",
    "invalid": "403 Forbidden",
    "not_found": "404 Not Found",
}

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _page(name: str, values: dict[str, Any]) -> tuple[str, bytes]:
    page = content()["ack_pages"][name]
    body = format_text(page["body"], values, escape=True)
    text = format_text(PAGE, {"title": page["title"], "body_html": body}, escape=True)
    return STATUS[name], text.encode("utf-8")


def _describe(escalation: Escalation) -> dict[str, Any]:
    texts = content()
    at = escalation.acknowledged_at
    return {
        "escalation_id": escalation.id,
        "level_label": texts["level_labels"].get(escalation.level, escalation.level),
        "kind_label": texts["kind_labels"].get(escalation.kind, escalation.kind),
        "patient_id": escalation.patient_id if escalation.patient_id is not None else "-",
        "raised_at": as_utc(escalation.created_at).strftime(TIME_FORMAT),
        "acknowledged_by": escalation.acknowledged_by or "-",
        "acknowledged_at": as_utc(at).strftime(TIME_FORMAT) if at else "-",
    }


def _token(environ: dict[str, Any]) -> str:
    if environ.get("REQUEST_METHOD") == "POST":
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY_BYTES)
        form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
        return (form.get("token") or [""])[0]
    return (parse_qs(environ.get("QUERY_STRING", "")).get("token") or [""])[0]


def handle(environ: dict[str, Any], database_url: str | None) -> tuple[str, bytes]:
    """The status line and page for one request."""
    if environ.get("PATH_INFO") != "/ack":
        return "404 Not Found", b"not found"
    try:
        claim = verify_token(_token(environ))
    except ExpiredToken as exc:
        return _page("expired", {"escalation_id": exc.escalation_id})
    except InvalidToken:
        return _page("invalid", {})
    factory = session_factory(database_url)
    if environ.get("REQUEST_METHOD") == "POST":
        with factory.begin() as session:
            result = acknowledge(session, claim.escalation_id, f"link:{claim.recipient}")
            if result.escalation is None:
                return _page("not_found", {})
            return _page(
                "done" if result.outcome == "acknowledged" else "already",
                _describe(result.escalation),
            )
    with factory() as session:
        escalation = session.get(Escalation, claim.escalation_id)
        if escalation is None:
            return _page("not_found", {})
        if escalation.status == "acknowledged":
            return _page("already", _describe(escalation))
        token = _token(environ)
        return _page("confirm", {**_describe(escalation), "token": token})


def make_app(
    database_url: str | None = None,
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app serving /ack."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, body = handle(environ, database_url)
        start_response(
            status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "no-store"),
                ("Referrer-Policy", "no-referrer"),
            ],
        )
        return [body]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("ack endpoint: %s", format % args)  # the query holds tokens: debug only


def serve_in_thread(host: str, port: int, database_url: str | None = None) -> WSGIServer:
    """Start the endpoint on a daemon thread; `server.shutdown()` stops it."""
    server = make_server(host, port, make_app(database_url), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="ack-endpoint", daemon=True).start()
    return server
