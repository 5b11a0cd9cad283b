"""Portal settings, read from environment variables with documented defaults.

| variable | default | meaning |
|---|---|---|
| PORTAL_HOST | 127.0.0.1 | bind address of `coach portal` |
| PORTAL_PORT | 8000 | port of `coach portal` |
| PORTAL_BASE_URL | http://127.0.0.1:8000 | public URL of the portal (links in messages) |
| PORTAL_COOKIE_SECURE | 1 | cookies only over HTTPS (browsers count 127.0.0.1 as secure) |
| PORTAL_SESSION_IDLE_MIN | 30 | a session unused this long is signed out |
| PORTAL_SESSION_MAX_HOURS | 12 | a session ends this long after sign-in, used or not |
| PORTAL_LOGIN_MAX_FAILURES | 5 | wrong passwords for one account before it is locked |
| PORTAL_LOGIN_WINDOW_MIN | 15 | window in which failures are counted (per account and per client) |
| PORTAL_LOCKOUT_MIN | 15 | how long a locked account stays locked |
| PORTAL_CLIENT_MAX_FAILURES | 20 | failed sign-ins per client address and window, then refused |
| PORTAL_MEDIA_LINK_MIN | 10 | lifetime of a signed media (image) URL |
| PORTAL_CAREGIVER_LINK_DAYS | 7 | lifetime of a caregiver's signed sign-in link |
| PORTAL_PAGE_SIZE | 50 | rows per page in the patient list and the audit log |

Keys: every signed portal URL uses a key derived from COACH_SECRET_KEY for its own purpose
(HMAC with a purpose label), so a token of one kind never verifies as another.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_PORT = 8000


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw else default


@dataclass(frozen=True)
class PortalSettings:
    """Operational knobs of the portal (see the module docstring)."""

    host: str
    port: int
    base_url: str
    cookie_secure: bool
    session_idle_min: int
    session_max_hours: int
    login_max_failures: int
    login_window_min: int
    lockout_min: int
    client_max_failures: int
    media_link_min: int
    caregiver_link_days: int
    page_size: int


def portal_settings() -> PortalSettings:
    """Read the portal settings from the environment (not cached: tests change env)."""
    port = _int("PORTAL_PORT", DEFAULT_PORT)
    return PortalSettings(
        host=os.environ.get("PORTAL_HOST", "127.0.0.1"),
        port=port,
        base_url=os.environ.get("PORTAL_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        cookie_secure=os.environ.get("PORTAL_COOKIE_SECURE", "1") not in ("0", "false", "no"),
        session_idle_min=_int("PORTAL_SESSION_IDLE_MIN", 30),
        session_max_hours=_int("PORTAL_SESSION_MAX_HOURS", 12),
        login_max_failures=_int("PORTAL_LOGIN_MAX_FAILURES", 5),
        login_window_min=_int("PORTAL_LOGIN_WINDOW_MIN", 15),
        lockout_min=_int("PORTAL_LOCKOUT_MIN", 15),
        client_max_failures=_int("PORTAL_CLIENT_MAX_FAILURES", 20),
        media_link_min=_int("PORTAL_MEDIA_LINK_MIN", 10),
        caregiver_link_days=_int("PORTAL_CAREGIVER_LINK_DAYS", 7),
        page_size=_int("PORTAL_PAGE_SIZE", 50),
    )
