"""What a caregiver may see of their patient, and their signed sign-in links."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.portal.signing import BadSignature, sign, unsign
from coach.storage.models import Caregiver, Patient, PortalUser

LINK_PURPOSE = "caregiver-link"
VIEWS = ("view_mood", "view_symptoms", "view_saq", "view_clips")


@dataclass(frozen=True)
class CaregiverScope:
    """The patient a caregiver account belongs to and what it may see."""

    caregiver: Caregiver
    patient: Patient
    consented: bool
    views: frozenset[str]

    def may(self, view: str) -> bool:
        """True when the patient consented to this view (adherence needs consent only)."""
        return self.consented and (view == "adherence" or view in self.views)


def scope_of(db: Session, user: PortalUser) -> CaregiverScope | None:
    """The caregiver's scope, or None when the account is not linked to a caregiver."""
    if user.role != "caregiver" or user.caregiver_id is None:
        return None
    caregiver = db.get(Caregiver, user.caregiver_id)
    if caregiver is None:
        return None
    patient = db.get(Patient, caregiver.patient_id)
    if patient is None or not patient.active:
        return None
    scope = frozenset(caregiver.consent_scope or [])
    consented = caregiver.consented_at is not None and bool(scope)
    return CaregiverScope(caregiver, patient, consented, scope & set(VIEWS))


def caregiver_account(db: Session, caregiver_id: int) -> PortalUser | None:
    """The portal account of a caregiver, if one exists."""
    return db.scalar(
        select(PortalUser).where(
            PortalUser.caregiver_id == caregiver_id, PortalUser.role == "caregiver"
        )
    )


def make_link(base_url: str, user: PortalUser, ttl_s: float) -> str:
    """A signed sign-in link for a caregiver account."""
    token = sign(LINK_PURPOSE, {"u": user.id, "c": user.caregiver_id}, ttl_s)
    return f"{base_url}/c/{token}"


def read_link(db: Session, token: str) -> PortalUser | None:
    """The active caregiver account a link signs in, or None (altered, expired, revoked)."""
    try:
        claims = unsign(LINK_PURPOSE, token)
    except BadSignature:
        return None
    user = db.get(PortalUser, claims.get("u"))
    if user is None or not user.active or user.role != "caregiver":
        return None
    return user if user.caregiver_id == claims.get("c") else None
