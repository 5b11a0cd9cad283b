"""Recovery-stalled nudges from the scheduler: the referral advice and the therapist's note."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.form_turns import intent_of
from coach.checkin.service import patient_today
from coach.storage.db import transaction
from coach.storage.patients import patient_for_sender
from coach.triage.recovery import RESPONSE, milestone_for_intent, note_therapist

NOTE_SENT = "utter_recovery_note_sent"


class ActionRecoveryNudge(Action):
    """Suggest a specialist referral at a recovery milestone; tell the patient who was told."""

    def name(self) -> str:
        return "action_recovery_nudge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        milestone = milestone_for_intent(intent_of(tracker)[0])
        if milestone is None:
            return []
        therapist_told = False
        try:
            with transaction() as session:
                patient = patient_for_sender(
                    session, tracker.get_latest_input_channel(), tracker.sender_id
                )
                if patient is not None:
                    therapist_told = note_therapist(
                        session, patient, milestone, patient_today(patient)
                    )
        except SQLAlchemyError:
            therapist_told = False  # the advice matters more than the note; nothing promised
        dispatcher.utter_message(response=RESPONSE[milestone])
        if therapist_told:
            dispatcher.utter_message(response=NOTE_SENT)
        return []
