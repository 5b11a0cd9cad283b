"""The therapist's plan for a patient and the caregivers' consents: validation and saving."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from coach.checkin.plan import exercise_catalogue
from coach.content import load_content
from coach.storage.models import Caregiver, Patient

SIDES = ("left", "right")
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
NAME_MAX = 120
TEMP_PASSWORD_BYTES = 12


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """IANA zone names offered in the plan form."""
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc")))


@dataclass
class PlanForm:
    """The plan form's fields as submitted, and what is wrong with them."""

    affected_side: str = ""
    checkin_time: str = ""
    timezone: str = ""
    clip_weekday: str = ""
    exercises: list[str] = field(default_factory=list)
    eye_closure_incomplete: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, patient: Patient) -> PlanForm:
        """The form filled from the stored plan."""
        return cls(
            affected_side=patient.affected_side or "",
            checkin_time=patient.checkin_time.strftime("%H:%M") if patient.checkin_time else "",
            timezone=patient.timezone or "",
            clip_weekday="" if patient.clip_weekday is None else str(patient.clip_weekday),
            exercises=list(patient.plan_exercises or []),
            eye_closure_incomplete=bool(patient.eye_closure_incomplete),
        )

    def validate(self) -> bool:
        """Fill `errors`; True when the form can be saved."""
        self.errors = {}
        if self.affected_side not in ("", *SIDES):
            self.errors["affected_side"] = "Choose left, right or not recorded."
        if not CLOCK.match(self.checkin_time.strip()):
            self.errors["checkin_time"] = "Give the time as HH:MM, e.g. 09:00."
        if self.timezone not in time_zones():
            self.errors["timezone"] = "Choose a time zone from the list."
        saq_day = str(load_content("notifications")["prompts"]["weekly_weekday"])
        if self.clip_weekday not in ("", *(str(d) for d in range(7))):
            self.errors["clip_weekday"] = "Choose a day of the week."
        elif self.clip_weekday == saq_day:
            self.errors["clip_weekday"] = "That is the weekly questionnaire's day: choose another."
        unknown = set(self.exercises) - set(exercise_catalogue())
        if unknown:
            self.errors["exercises"] = "Choose exercises from the list."
        return not self.errors

    def apply(self, patient: Patient) -> dict[str, Any]:
        """Write the plan onto `patient`; returns the names of the fields that changed."""
        hours, minutes = (int(x) for x in self.checkin_time.strip().split(":"))
        new = {
            "affected_side": self.affected_side or None,
            "checkin_time": time(hours, minutes),
            "timezone": self.timezone,
            "clip_weekday": int(self.clip_weekday) if self.clip_weekday != "" else None,
            "plan_exercises": [k for k in exercise_catalogue() if k in self.exercises],
            "eye_closure_incomplete": self.eye_closure_incomplete,
        }
        changed = {}
        for name, value in new.items():
            if getattr(patient, name) != value:
                changed[name] = True
                setattr(patient, name, value)
        return changed


def caregiver_scopes() -> tuple[dict[str, str], dict[str, str]]:
    """(notices the caregiver may be sent, portal views they may see) key → label."""
    portal = load_content("portal")
    return dict(portal["caregiver_notices"]), dict(portal["caregiver_views"])


@dataclass
class CaregiverForm:
    """A caregiver's contact details and what the patient consented they receive and see."""

    name: str = ""
    email: str = ""
    phone: str = ""
    scope: list[str] = field(default_factory=list)
    consented: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self) -> bool:
        """Fill `errors`; True when the form can be saved."""
        self.errors = {}
        self.name, self.email, self.phone = (
            self.name.strip(),
            self.email.strip().lower(),
            self.phone.strip().replace(" ", ""),
        )
        if not self.name or len(self.name) > NAME_MAX:
            self.errors["name"] = "Give the caregiver's name."
        if self.email and not EMAIL.match(self.email):
            self.errors["email"] = "That e-mail address does not look right."
        if self.phone and not PHONE.match(self.phone):
            self.errors["phone"] = (
                "Give the phone number in international form, e.g. +447700900123."
            )
        if not self.email and not self.phone:
            self.errors["email"] = "Give an e-mail address or a phone number."
        notices, views = caregiver_scopes()
        if set(self.scope) - set(notices) - set(views):
            self.errors["scope"] = "Unknown permission."
        if self.scope and not self.consented:
            self.errors["consented"] = "Record the patient's consent before sharing anything."
        return not self.errors

    def apply(self, caregiver: Caregiver) -> None:
        """Write onto `caregiver`; consent time is kept while consent stays given."""
        caregiver.name = self.name
        caregiver.email = self.email or None
        caregiver.phone = self.phone or None
        notices, views = caregiver_scopes()
        caregiver.consent_scope = [
            k for k in (*notices, *views) if k in self.scope and self.consented
        ]
        if self.consented and caregiver.consented_at is None:
            caregiver.consented_at = datetime.now(timezone.utc)
        if not self.consented:
            caregiver.consented_at = None


def temporary_password() -> str:
    """A random first password the account holder must change at first sign-in."""
    return secrets.token_urlsafe(TEMP_PASSWORD_BYTES)
