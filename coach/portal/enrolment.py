"""The enrolment page's form and what it shows of a new invite (the work is coach.enrolment)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.enrolment import InviteLinks, NewInvite, NewPatient, invite_links, qr_pngs
from coach.enrolment.invites import open_invites
from coach.enrolment.links import qr_png
from coach.portal.plans import NAME_MAX, PlanForm
from coach.storage.models import ChannelIdentity

CHANNEL_LABELS = {
    "web": "Web chat",
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "sms": "SMS",
}


@dataclass
class EnrolForm:
    """A new patient's name, onset and first plan (side, eye, check-in time and zone)."""

    display_name: str = ""
    onset_date: str = ""
    plan: PlanForm = field(default_factory=PlanForm)
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self, today: date | None = None) -> bool:
        """Fill `errors` (the plan's too); True when the patient can be added."""
        self.display_name = " ".join(self.display_name.split())
        self.plan.validate()
        self.errors = dict(self.plan.errors)
        if not self.display_name or len(self.display_name) > NAME_MAX:
            self.errors["display_name"] = f"Give a name of at most {NAME_MAX} characters."
        if self.onset_date:
            try:
                onset = date.fromisoformat(self.onset_date)
            except ValueError:
                self.errors["onset_date"] = "Give the date as YYYY-MM-DD."
            else:
                if onset > (today or datetime.now(timezone.utc).date()):
                    self.errors["onset_date"] = "The onset cannot be in the future."
        return not self.errors

    def details(self) -> NewPatient:
        """The validated form as coach.enrolment wants it."""
        hours, minutes = (int(x) for x in self.plan.checkin_time.strip().split(":"))
        return NewPatient(
            display_name=self.display_name,
            timezone=self.plan.timezone,
            checkin_time=time(hours, minutes),
            onset_date=date.fromisoformat(self.onset_date) if self.onset_date else None,
            affected_side=self.plan.affected_side or None,
            eye_closure_incomplete=self.plan.eye_closure_incomplete,
        )


@dataclass(frozen=True)
class InviteChannel:
    """One way to join: the link (or text), and its QR code as a data URI."""

    key: str
    label: str
    url: str
    qr_data_uri: str


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as a PNG data URI, for pages that show one inline."""
    return _data_uri(qr_png(text))


def invite_view(invite: NewInvite) -> tuple[InviteLinks, list[InviteChannel]]:
    """The invite's links, and one entry per channel that is set up, each with its QR code."""
    links = invite_links(invite.code)
    urls = {
        "web": links.web_url,
        "whatsapp": links.whatsapp_url,
        "telegram": links.telegram_url,
        "sms": links.sms_url,
    }
    pngs = qr_pngs(links)
    channels = [
        InviteChannel(key, CHANNEL_LABELS[key], url, _data_uri(pngs[key]))
        for key, url in urls.items()
        if url
    ]
    return links, channels


@dataclass(frozen=True)
class EnrolmentState:
    """How a patient stands: the channels they joined on and how many invites are still open."""

    identities: list[ChannelIdentity]
    open_invites: int


def enrolment_state(db: Session, patient_id: int) -> EnrolmentState:
    """The patient's joined channels and unused, unexpired invites."""
    identities = db.scalars(
        select(ChannelIdentity)
        .where(ChannelIdentity.patient_id == patient_id)
        .order_by(ChannelIdentity.id)
    ).all()
    return EnrolmentState(list(identities), open_invites(db, patient_id))
