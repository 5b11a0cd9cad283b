"""Handle a red-flag message: classify, pick what the patient is told, record the escalation."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from coach.content import load_content
from coach.escalation.spool import spool_escalation
from coach.storage.db import transaction
from coach.storage.patients import patient_for_sender
from coach.triage.escalation import raise_escalation
from coach.triage.red_flags import detect_red_flags
from coach.triage.spool import red_flag_request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RedFlagOutcome:
    """What to tell the sender and what was recorded."""

    response: str
    kinds: list[str]
    emergency_number: str
    crisis_line: str
    enrolled: bool
    recorded: bool


def locale_numbers(locale: str | None) -> dict[str, str]:
    """Emergency number and crisis line for `locale` (deployment default when unknown)."""
    content = load_content("locales")
    locales = content["locales"]
    return locales.get(locale or "", locales[content["default"]])


def handle_red_flag(
    text: str, channel: str | None, sender_id: str, message_id: str
) -> RedFlagOutcome:
    """Classify `text` (rules first; NLU-only hits are `unspecified`) and escalate."""
    flags = detect_red_flags(text)
    kinds = [f.kind for f in flags] or ["unspecified"]
    enrolled = False
    recorded = False
    locale = None
    try:
        with transaction() as session:
            patient = patient_for_sender(session, channel, sender_id)
            enrolled = patient is not None
            locale = patient.locale if patient else None
            for kind in kinds:
                matched = [f.evidence for f in flags if f.kind == kind]
                raise_escalation(
                    session,
                    patient,
                    red_flag_request(kind, text, channel, sender_id, message_id, enrolled, matched),
                )
        recorded = True
    except SQLAlchemyError as error:
        log.error("red flag could not be stored (%s); spooled", error.__class__.__name__)
        spool_escalation(
            {
                "kinds": kinds,
                "text": text[:1000],
                "channel": channel,
                "sender_id": sender_id,
                "message_id": message_id,
                "matched": [f.evidence for f in flags],
            }
        )
    numbers = locale_numbers(locale)
    return RedFlagOutcome(
        response=f"utter_red_flag_{kinds[0]}",
        kinds=kinds,
        emergency_number=numbers["emergency_number"],
        crisis_line=numbers["crisis_line"],
        enrolled=enrolled,
        recorded=recorded,
    )
