"""Audit trail of the portal: who viewed or changed which record (no PHI in `detail`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from coach.storage.models import AuditEvent, PortalUser


def actor(user: PortalUser) -> str:
    """How a portal user appears in the audit log and on acknowledged alerts."""
    return f"portal:{user.email}"[:120]


def record(
    db: Session,
    user: PortalUser | str,
    action: str,
    subject_type: str | None = None,
    subject_id: int | None = None,
    **detail: Any,
) -> None:
    """Add one audit row to the request's transaction."""
    db.add(
        AuditEvent(
            actor=user if isinstance(user, str) else actor(user),
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=detail,
        )
    )
