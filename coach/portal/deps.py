"""Request plumbing: database session, signed-in user, role checks, template rendering."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from coach.config import get_settings
from coach.content import load_content
from coach.notify.render import as_utc
from coach.portal import csrf
from coach.portal.sessions import COOKIE_NAME, Current, load_session
from coach.portal.settings import PortalSettings
from coach.scheduler.sweep import zone_info
from coach.storage.db import session_factory
from coach.storage.models import PortalUser

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
DATE_TIME_FORMAT, DATE_FORMAT = "%d %b %Y %H:%M", "%d %b %Y"


def _zone() -> ZoneInfo:
    return zone_info(get_settings().default_timezone)


def when(value: datetime | None, fmt: str = DATE_TIME_FORMAT) -> str:
    """A stored (UTC) time on the clinic's clock (DEFAULT_TIMEZONE)."""
    return "" if value is None else as_utc(value).astimezone(_zone()).strftime(fmt)


def day(value: datetime | None) -> str:
    """A stored time's date on the clinic's clock."""
    return when(value, DATE_FORMAT)


TEMPLATES.env.filters.update(when=when, day=day)
TEMPLATES.env.globals.update(clinic_zone=lambda: get_settings().default_timezone)


@dataclass(frozen=True)
class Viewer:
    """What pages show of the signed-in user (a plain copy: error pages render it after the
    request's transaction has been rolled back)."""

    id: int
    email: str
    role: str


class LoginRequired(Exception):
    """No live session: pages redirect to the sign-in form, the API answers 401."""


class SecondFactorRequired(Exception):
    """Password accepted, TOTP code not yet given."""


class PasswordChangeRequired(Exception):
    """The account must set its own password before anything else."""


def settings_of(request: Request) -> PortalSettings:
    """The app's portal settings."""
    return request.app.state.portal_settings


def get_db(request: Request) -> Iterator[Session]:
    """One database transaction per request, committed when the handler returns normally."""
    factory = session_factory(request.app.state.database_url)
    with factory.begin() as session:
        yield session


def current(request: Request, db: Session = Depends(get_db, scope="function")) -> Current:
    """The signed-in user (a fully signed-in session: second factor done)."""
    found = load_session(db, request.cookies.get(COOKIE_NAME), settings_of(request))
    if found is None:
        raise LoginRequired()
    if found.session.mfa_pending:
        raise SecondFactorRequired()
    if (
        found.user.must_change_password
        and not found.session.via_link
        and not request.url.path.startswith(("/account", "/logout"))
    ):
        raise PasswordChangeRequired()
    request.state.user = Viewer(found.user.id, found.user.email, found.user.role)
    return found


def user(found: Current = Depends(current)) -> PortalUser:
    """The signed-in account."""
    return found.user


def staff(account: PortalUser = Depends(user)) -> PortalUser:
    """A therapist or a clinic admin (404 for anyone else, like a missing page)."""
    if account.role not in ("therapist", "admin"):
        raise HTTPException(status_code=404)
    return account


def therapist(account: PortalUser = Depends(user)) -> PortalUser:
    """A therapist."""
    if account.role != "therapist":
        raise HTTPException(status_code=404)
    return account


def admin(account: PortalUser = Depends(user)) -> PortalUser:
    """A clinic admin."""
    if account.role != "admin":
        raise HTTPException(status_code=404)
    return account


def caregiver(account: PortalUser = Depends(user)) -> PortalUser:
    """A caregiver."""
    if account.role != "caregiver":
        raise HTTPException(status_code=404)
    return account


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page from `templates/`, with the user, the CSRF token and the flash message."""
    values = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf.csrf_token(request),
        "flash": load_content("portal")["flash"].get(request.query_params.get("msg", "")),
        **context,
    }
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)
