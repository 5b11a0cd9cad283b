"""Weekly SAQ form: validation of 1–5 answers, scoring and storage on submit."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import find_profile, submission_key
from coach.checkin.answers import coerce_number
from coach.checkin.saq import SAQ_ITEM_COUNT
from coach.checkin.service import record_saq
from coach.content import load_content
from coach.storage.db import transaction
from coach.storage.patients import patient_for_sender

SAQ_SLOTS = tuple(f"saq_{n}" for n in range(1, SAQ_ITEM_COUNT + 1))


class ValidateSaqForm(FormValidationAction):
    """Accepts 1–5 (digits or words) for every SAQ item."""

    def name(self) -> str:
        return "validate_saq_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        return list(domain_slots) if find_profile(tracker) else []

    def _validate_item(self, slot: str, value: Any, dispatcher) -> dict[str, Any]:
        rules = load_content("clinical")["saq"]
        item = coerce_number(value, rules["item_min"], rules["item_max"])
        if item is None:
            dispatcher.utter_message(response="utter_invalid_saq_item")
        return {slot: item}


def _make_validator(slot: str):  # type: ignore[no-untyped-def]
    def validator(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self._validate_item(slot, value, dispatcher)

    return validator


for _slot in SAQ_SLOTS:
    setattr(ValidateSaqForm, f"validate_{_slot}", _make_validator(_slot))


class ActionSubmitSaq(Action):
    """Scores and stores the SAQ, tells the patient, escalates a real rise."""

    def name(self) -> str:
        return "action_submit_saq"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in SAQ_SLOTS]
        items = [int(tracker.get_slot(slot)) for slot in SAQ_SLOTS if tracker.get_slot(slot)]
        try:
            with transaction() as session:
                patient = patient_for_sender(
                    session, tracker.get_latest_input_channel(), tracker.sender_id
                )
                if patient is None or len(items) != SAQ_ITEM_COUNT:
                    dispatcher.utter_message(response="utter_not_enrolled")
                    return reset
                result, escalated = record_saq(
                    session, patient, items, submission_key(tracker, "saq")
                )
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_saq_save_failed")
            return []
        dispatcher.utter_message(response="utter_saq_result", saq_score=f"{result.score:g}")
        if escalated:
            dispatcher.utter_message(
                response="utter_saq_change_flagged", saq_change=f"{result.change:g}"
            )
        elif result.real_change and result.change is not None:
            dispatcher.utter_message(
                response="utter_saq_improved", saq_change=f"{abs(result.change):g}"
            )
        return reset
