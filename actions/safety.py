"""Low mood, symptom reports at any time, and messages in other languages."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import latest_text, submission_key
from coach.nlp.language import detect_language, english_only_reply
from coach.nlp.symptoms import early_sign_findings, extract_symptoms
from coach.storage.db import transaction
from coach.storage.patients import patient_for_sender
from coach.triage.mood import feeling_reflection, peer_support, record_low_mood
from coach.triage.red_flag_service import handle_red_flag, locale_numbers
from coach.triage.symptom_reports import record_symptom_message
from coach.triage.who_was_told import who_was_told


class ActionMoodSupport(Action):
    """A warm, short reply naming the feeling; repeated low mood becomes a routine note."""

    def name(self) -> str:
        return "action_mood_support"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        locale, recipients = None, set()
        try:
            with transaction() as session:
                patient = patient_for_sender(
                    session, tracker.get_latest_input_channel(), tracker.sender_id
                )
                if patient is not None:
                    locale = patient.locale
                    outcome = record_low_mood(session, patient, submission_key(tracker, "mood"))
                    recipients = outcome.recipients
        except SQLAlchemyError:
            pass  # the supportive reply matters more than the note; nothing was promised
        numbers = locale_numbers(locale)
        dispatcher.utter_message(
            response="utter_mood_support_message",
            feeling_reflection=feeling_reflection(text),
            peer_support=peer_support(locale),
            who_was_told=who_was_told(recipients, needed=False),
            **numbers,
        )
        dispatcher.utter_message(response="utter_crisis_line", **numbers)  # CLINICAL.md: always
        return []


class ActionNoteSymptoms(Action):
    """Free text outside a check-in: record symptoms with side and trigger, triage, coach."""

    def name(self) -> str:
        return "action_note_symptoms"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        try:
            with transaction() as session:
                patient = patient_for_sender(
                    session, tracker.get_latest_input_channel(), tracker.sender_id
                )
                note = (
                    record_symptom_message(
                        session, patient, text, submission_key(tracker, "symptoms")
                    )
                    if patient is not None
                    else None
                )
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        if note is not None and note.other_side:
            # CLINICAL.md: new weakness or numbness on the side that was well is a stroke sign.
            outcome = handle_red_flag(
                text,
                tracker.get_latest_input_channel(),
                tracker.sender_id,
                (tracker.latest_message or {}).get("message_id") or "no-id",
                extra_kinds=("stroke",),
            )
            dispatcher.utter_message(response=outcome.response, **outcome.template_values)
            return []
        if note is None:
            if early_sign_findings(extract_symptoms(text)):
                dispatcher.utter_message(response="utter_symptom_not_enrolled")
            else:
                dispatcher.utter_message(response="utter_progress_noted")
            return []
        if not note.coaching:
            told = any(s.is_finding for s in note.symptoms)
            dispatcher.utter_message(
                response="utter_symptom_general" if told else "utter_progress_noted"
            )
            return []
        if note.new_signs:
            dispatcher.utter_message(
                response="utter_symptom_noted",
                who_was_told=who_was_told(note.recipients, needed=False),
            )
        for response in note.coaching:
            dispatcher.utter_message(response=response)
        return []


class ActionEnglishOnly(Action):
    """A message in another language: 'English only for now' in it, with the emergency number."""

    def name(self) -> str:
        return "action_english_only"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        locale = None
        try:
            with transaction() as session:
                patient = patient_for_sender(
                    session, tracker.get_latest_input_channel(), tracker.sender_id
                )
                locale = patient.locale if patient else None
        except SQLAlchemyError:
            pass
        number = locale_numbers(locale)["emergency_number"]
        language = detect_language(latest_text(tracker))
        lines = [english_only_reply(language)]
        if language:
            lines.append(english_only_reply(None))
        text = "\n".join(line.format(emergency_number=number) for line in lines)
        dispatcher.utter_message(response="utter_english_only", english_only=text)
        return []
