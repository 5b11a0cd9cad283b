"""Handle a red-flag message: classify, pick what the patient is told, record the escalation."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from coach.content import load_content
from coach.escalation.red_flag import record_red_flag
from coach.escalation.spool import spool_escalation
from coach.nlp.language import english_only_reply
from coach.storage.db import transaction
from coach.triage.red_flags import detect_red_flags, priority
from coach.triage.who_was_told import recipient_kinds, who_was_told

log = logging.getLogger(__name__)
UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class RedFlagOutcome:
    """What to tell the sender and what was recorded."""

    response: str
    kinds: list[str]
    emergency_number: str
    crisis_line: str
    enrolled: bool
    recorded: bool
    who_was_told: str
    english_only: str | None  # "English only for now" in the message's language, if not English

    @property
    def template_values(self) -> dict[str, str]:
        """Values for the domain response's {placeholders}."""
        return {
            "emergency_number": self.emergency_number,
            "crisis_line": self.crisis_line,
            "who_was_told": self.who_was_told.format(emergency_number=self.emergency_number),
        }


def locale_numbers(locale: str | None) -> dict[str, str]:
    """Emergency number and crisis line for `locale` (deployment default when unknown)."""
    content = load_content("locales")
    locales = content["locales"]
    return locales.get(locale or "", locales[content["default"]])


def handle_red_flag(
    text: str,
    channel: str | None,
    sender_id: str,
    message_id: str,
    extra_kinds: tuple[str, ...] = (),
) -> RedFlagOutcome:
    """Classify `text` (rules, plus `extra_kinds` found with the patient's record; without any:
    `unspecified`, after a confirmed question), write the escalations (or spool them when the
    database is down) and say what happened."""
    flags = detect_red_flags(text)
    found = [f.kind for f in flags]
    kinds = sorted(set(found) | set(extra_kinds), key=priority) or [UNSPECIFIED]
    enrolled = recorded = spooled = False
    locale = None
    recipients: set[str] = set()
    record = {
        "kinds": kinds,
        "text": text[:1000],
        "channel": channel,
        "sender_id": sender_id,
        "message_id": message_id,
        "matched": [f.evidence for f in flags],
    }
    try:
        with transaction() as session:
            patient, escalations = record_red_flag(session, record)
            enrolled = patient is not None
            locale = patient.locale if patient else None
            recipients = recipient_kinds(escalations)
        recorded = True
    except Exception as error:  # whatever failed, the red flag must not be lost
        log.error("red flag could not be stored (%s); spooled", error.__class__.__name__)
        spool_escalation(record)
        spooled = True
    numbers = locale_numbers(locale)
    language = next((f.language for f in flags if f.language != "en"), None)
    return RedFlagOutcome(
        response=f"utter_red_flag_{kinds[0]}",
        kinds=kinds,
        emergency_number=numbers["emergency_number"],
        crisis_line=numbers["crisis_line"],
        enrolled=enrolled,
        recorded=recorded,
        who_was_told=who_was_told(recipients, spooled=spooled),
        english_only=(
            english_only_reply(language).format(emergency_number=numbers["emergency_number"])
            if language
            else None
        ),
    )
