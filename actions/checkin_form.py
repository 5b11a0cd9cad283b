"""Daily check-in form: validation, the rotating early-sign question, submit and pause."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import MAX_TEXT_CHARS, find_profile, submission_key
from coach.checkin.answers import coerce_minutes, coerce_number, coerce_yes_no
from coach.checkin.coaching import CheckInAnswers
from coach.checkin.questions import early_sign_question_for
from coach.checkin.service import record_checkin
from coach.content import load_content
from coach.storage.db import transaction
from coach.storage.patients import patient_for_sender

CHECKIN_SLOTS = (
    "face_feeling",
    "early_sign_present",
    "early_sign_key",
    "sessions_done",
    "minutes_practised",
    "mirror_used",
    "forced_movements",
    "eye_care_done",
    "mood",
)


def _yes_no(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    answer = coerce_yes_no(value)
    if answer is None:
        dispatcher.utter_message(response="utter_invalid_yes_no")
    return {slot: answer}


def _number(
    slot: str, value: Any, low: int, high: int, invalid: str, dispatcher: CollectingDispatcher
) -> dict[str, Any]:
    number = coerce_number(value, low, high)
    if number is None:
        dispatcher.utter_message(response=invalid)
    return {slot: number}


class ValidateCheckinForm(FormValidationAction):
    """Parses each answer; asks again, kindly, when it can't."""

    def name(self) -> str:
        return "validate_checkin_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        patient = find_profile(tracker)
        if patient is None:
            return []
        skipped: set[str] = set()
        if tracker.get_slot("sessions_done") == 0:
            skipped |= {"minutes_practised", "mirror_used"}
        if not patient.eye_closure_incomplete:
            skipped.add("eye_care_done")
        return [slot for slot in domain_slots if slot not in skipped]

    def validate_face_feeling(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text:
            dispatcher.utter_message(response="utter_invalid_empty")
            return {"face_feeling": None}
        return {"face_feeling": text[:MAX_TEXT_CHARS]}

    def validate_early_sign_present(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return _yes_no("early_sign_present", value, dispatcher)

    def validate_sessions_done(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        high = load_content("clinical")["adherence"]["sessions_max"]
        return _number("sessions_done", value, 0, high, "utter_invalid_sessions", dispatcher)

    def validate_minutes_practised(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        high = load_content("clinical")["adherence"]["minutes_max"]
        minutes = coerce_minutes(value, tracker.get_slot("sessions_done"), 0, high)
        if minutes is None:
            dispatcher.utter_message(response="utter_invalid_minutes")
        return {"minutes_practised": minutes}

    def validate_mirror_used(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return _yes_no("mirror_used", value, dispatcher)

    def validate_forced_movements(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return _yes_no("forced_movements", value, dispatcher)

    def validate_eye_care_done(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return _yes_no("eye_care_done", value, dispatcher)

    def validate_mood(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        scale = load_content("clinical")["mood"]
        return _number(
            "mood", value, scale["scale_min"], scale["scale_max"], "utter_invalid_mood", dispatcher
        )


class ActionAskEarlySignPresent(Action):
    """Asks today's rotating early-sign question and remembers which one it was."""

    def name(self) -> str:
        return "action_ask_early_sign_present"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        key = tracker.get_slot("early_sign_key")
        if not key:
            patient = find_profile(tracker)
            key = early_sign_question_for(patient.patient_id if patient else None, date.today())
        dispatcher.utter_message(response=f"utter_early_sign_{key}")
        return [SlotSet("early_sign_key", key)]


def _as_int(value: Any) -> int | None:
    return None if value is None else int(value)


class ActionSubmitCheckin(Action):
    """Stores the completed check-in, replies with coaching, clears the check-in slots."""

    def name(self) -> str:
        return "action_submit_checkin"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in CHECKIN_SLOTS]
        slot = tracker.get_slot
        answers = CheckInAnswers(
            face_feeling=slot("face_feeling"),
            early_sign_key=slot("early_sign_key"),
            early_sign_present=slot("early_sign_present"),
            sessions_done=_as_int(slot("sessions_done")),
            minutes_practised=_as_int(slot("minutes_practised")),
            mirror_used=slot("mirror_used"),
            forced_movements=slot("forced_movements"),
            eye_care_done=slot("eye_care_done"),
            mood=_as_int(slot("mood")),
        )
        try:
            with transaction() as session:
                patient = patient_for_sender(
                    session, tracker.get_latest_input_channel(), tracker.sender_id
                )
                if patient is None:
                    dispatcher.utter_message(response="utter_not_enrolled")
                    return reset
                outcome = record_checkin(
                    session, patient, answers, submission_key(tracker, "checkin")
                )
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_checkin_save_failed")
            return []
        for response in outcome.responses:
            dispatcher.utter_message(response=response)
        return reset


class ActionPauseForm(Action):
    """Pauses the active form, keeping the answers so far."""

    def name(self) -> str:
        return "action_pause_form"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        loop = (tracker.active_loop or {}).get("name")
        dispatcher.utter_message(
            response="utter_saq_paused" if loop == "saq_form" else "utter_checkin_paused"
        )
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
