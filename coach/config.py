"""All runtime configuration, read from environment variables with documented defaults.

| variable | default | meaning |
|---|---|---|
| COACH_HOME | repository root | base folder for relative paths |
| DATABASE_URL | sqlite:///$COACH_HOME/var/coach.db | application database (SQLAlchemy URL) |
| MEDIA_DIR | $COACH_HOME/var/media | private, content-addressed clip store |
| CONTENT_DIR | coach/content | reviewed clinical content and thresholds |
| RASA_URL | http://127.0.0.1:5005 | Rasa server (REST channel + HTTP API) |
| RASA_TOKEN | (empty) | token for Rasa's HTTP API (`--auth-token`) |
| COACH_SECRET_KEY | var/secret_key (written by `make run`) | signing key for links |
| COACH_LOG_LEVEL | INFO | log level for coach processes |
| DEFAULT_TIMEZONE | Europe/London | time zone for enrolments that give none |
| CLIP_WORKERS | 1 | processes analysing clips (each uses one core) |
| CLIP_MAX_PENDING | 20 | analyses running or queued per action server; more get "try later" |
| CLIP_TIMEOUT_S | 120 | longest wait for one analysis before the patient is told to retry |
| CLIP_RETENTION_DAYS | 180 | stored clip videos are deleted this long after upload (reports kept) |
| COACH_ENV | development | `production` refuses to start without the settings a clinic needs |
| PORTAL_BASE_URL | http://127.0.0.1:$PORTAL_PORT | public URL of the portal (links in messages) |
| CLINIC_DUTY_EMAIL | (empty) | the clinic's duty inbox: red flags with no therapist, spool alerts |
| CLINIC_BACKUP_EMAIL | (empty) | clinic's backup contact: ladder top step, dead-letter alerts |
| SPOOL_DIR | $COACH_HOME/var/spool | red-flag spool; on a volume every process shares |
| TRACKER_CACHE_SIZE | 1000 | conversations Rasa keeps in memory, checked each message; 0 = off |

In production (`COACH_ENV=production`) the scheduler, the portal and the action server refuse to
start unless COACH_SECRET_KEY and CLINIC_DUTY_EMAIL are set and WEBHOOK_SIGNING_SECRET (when set)
differs from COACH_SECRET_KEY (`require_production_settings`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DEVELOPMENT = "development"
PRODUCTION = "production"
DEFAULT_PORTAL_PORT = "8000"  # the portal's own default (coach/portal/settings.py)


@dataclass(frozen=True)
class Settings:
    """Process-wide settings; build with `get_settings()`."""

    home: Path
    database_url: str
    media_dir: Path
    content_dir: Path
    rasa_url: str
    rasa_token: str
    secret_key: str
    log_level: str
    default_timezone: str
    clip_workers: int
    clip_max_pending: int
    clip_timeout_s: float
    clip_retention_days: float
    environment: str
    portal_base_url: str
    clinic_duty_email: str
    clinic_backup_email: str
    spool_dir: Path


def _secret_key(home: Path) -> str:
    """Secret from the environment, else the dev key file `make run` writes under var/."""
    key = os.environ.get("COACH_SECRET_KEY", "")
    if key:
        return key
    key_file = home / "var" / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    return ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the environment once per process."""
    home = Path(os.environ.get("COACH_HOME", str(REPO_DIR)))
    return Settings(
        home=home,
        database_url=os.environ.get("DATABASE_URL", f"sqlite:///{home / 'var' / 'coach.db'}"),
        media_dir=Path(os.environ.get("MEDIA_DIR", str(home / "var" / "media"))),
        content_dir=Path(os.environ.get("CONTENT_DIR", str(PACKAGE_DIR / "content"))),
        rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
        rasa_token=os.environ.get("RASA_TOKEN", ""),
        secret_key=_secret_key(home),
        log_level=os.environ.get("COACH_LOG_LEVEL", "INFO"),
        default_timezone=os.environ.get("DEFAULT_TIMEZONE", "Europe/London"),
        clip_workers=int(os.environ.get("CLIP_WORKERS", "1")),
        clip_max_pending=int(os.environ.get("CLIP_MAX_PENDING", "20")),
        clip_timeout_s=float(os.environ.get("CLIP_TIMEOUT_S", "120")),
        clip_retention_days=float(os.environ.get("CLIP_RETENTION_DAYS", "") or "180"),
        environment=os.environ.get("COACH_ENV", "") or DEVELOPMENT,
        portal_base_url=(
            os.environ.get("PORTAL_BASE_URL", "")
            or f"http://127.0.0.1:{os.environ.get('PORTAL_PORT', '') or DEFAULT_PORTAL_PORT}"
        ).rstrip("/"),
        clinic_duty_email=os.environ.get("CLINIC_DUTY_EMAIL", "").strip(),
        clinic_backup_email=os.environ.get("CLINIC_BACKUP_EMAIL", "").strip(),
        spool_dir=Path(os.environ.get("SPOOL_DIR", "") or str(home / "var" / "spool")),
    )


def production_problems(settings: Settings) -> list[str]:
    """What keeps this configuration from running in production (empty when it may)."""
    problems = []
    if not os.environ.get("COACH_SECRET_KEY", ""):
        problems.append("COACH_SECRET_KEY is not set (links cannot be signed)")
    if not settings.clinic_duty_email:
        problems.append(
            "CLINIC_DUTY_EMAIL is not set (red flags from unknown senders reach nobody)"
        )
    webhook_secret = os.environ.get("WEBHOOK_SIGNING_SECRET", "")
    if webhook_secret and webhook_secret == settings.secret_key:
        problems.append("WEBHOOK_SIGNING_SECRET must differ from COACH_SECRET_KEY")
    return problems


def require_production_settings(process: str) -> None:
    """With COACH_ENV=production, exit with the list of missing settings instead of starting."""
    settings = get_settings()
    if settings.environment != PRODUCTION:
        return
    problems = production_problems(settings)
    if problems:
        raise SystemExit(f"{process}: refusing to start in production: " + "; ".join(problems))
