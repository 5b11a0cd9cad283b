"""Daily check-in form: read each message once, ask what is missing, summarise, save."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import MAX_TEXT_CHARS, ask_for_consent, find_profile, submission_key
from actions.form_turns import (
    CHECKIN_FORM,
    answer_text,
    ask_with_choices,
    fresh_user_message,
    load_progress,
    store_progress,
)
from coach.checkin.coaching import CheckInAnswers
from coach.checkin.progress import NEEDS_A_SESSION, Progress, advance
from coach.checkin.questions import early_sign_question_for
from coach.checkin.service import checkin_today, record_checkin
from coach.checkin.summary import SUMMARY_ORDER, checkin_summary
from coach.checkin.understand import read_checkin
from coach.content import load_content
from coach.storage.db import transaction
from coach.storage.patients import patient_for_sender
from coach.triage.red_flag_service import locale_numbers
from coach.triage.who_was_told import who_was_told

CONFIRM = "checkin_confirmed"
UPDATE_TODAY = "checkin_update_today"
ANSWER_SLOTS = SUMMARY_ORDER
CHECKIN_SLOTS = (*ANSWER_SLOTS, "early_sign_key", CONFIRM, UPDATE_TODAY)
# A coaching reply that ends with an offer of another reminder time ("yes" then changes it).
REMINDER_OFFERS = ("utter_coach_encourage_missed",)
UNITS = {"sessions_done": "", "minutes_practised": " min", "mood": ""}
MOOD_SUGGESTION_SPREAD = 1  # "good" → about 7: buttons 6, 7, 8


def _known(tracker: Tracker) -> dict[str, Any]:
    return {slot: tracker.get_slot(slot) for slot in CHECKIN_SLOTS}


def _already_checked_in(tracker: Tracker) -> bool:
    with transaction() as session:
        patient = patient_for_sender(session, tracker.get_latest_input_channel(), tracker.sender_id)
        return patient is not None and checkin_today(session, patient) is not None


class ValidateCheckinForm(FormValidationAction):
    """Reads each message for every question it answers; asks about what is ambiguous."""

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
        if patient is None or not patient.consented:
            return []  # nothing is asked or kept before the patient's OK (submit says why)
        progress = load_progress(tracker, CHECKIN_FORM)
        if not progress.today_exists:
            domain_slots = [s for s in domain_slots if s != UPDATE_TODAY]
        elif tracker.get_slot(UPDATE_TODAY) is False:
            return [UPDATE_TODAY]  # keep today's check-in: nothing more to ask
        skipped = set(progress.skipped)
        if tracker.get_slot("sessions_done") == 0:
            skipped |= set(NEEDS_A_SESSION)
        if not patient.eye_closure_incomplete:
            skipped.add("eye_care_done")
        return [slot for slot in domain_slots if slot not in skipped]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        progress = load_progress(tracker, CHECKIN_FORM)
        starting = (tracker.active_loop or {}).get("name") != CHECKIN_FORM
        events: list[EventType] = []
        if starting:
            if tracker.get_slot("paused_form"):
                events.append(SlotSet("paused_form", None))
            if all(tracker.get_slot(slot) is None for slot in ANSWER_SLOTS):
                progress = Progress(today_exists=_already_checked_in(tracker))
        requested = None if starting else tracker.get_slot("requested_slot")
        known = _known(tracker)

        def read(text: str):  # type: ignore[no-untyped-def]
            return read_checkin(text, requested, known, progress.last)

        text = answer_text(tracker, CHECKIN_FORM, lambda t: read(t).found_anything)
        if text is None and not starting and fresh_user_message(tracker, CHECKIN_FORM):
            return []  # not an answer: the rules reply, then the form asks again
        if text is not None:
            step = advance(progress, read(text), requested, known, text, CONFIRM)
            for response, kwargs in step.say:
                dispatcher.utter_message(response=response, **kwargs)
            for slot, value in step.values.items():
                if slot == "face_feeling" and value:
                    value = value[:MAX_TEXT_CHARS]
                events.append(SlotSet(slot, value))
        events.append(store_progress(tracker, CHECKIN_FORM, progress))
        tracker.add_slots(events)
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.get_slot(slot) is None), None)
        return events + [SlotSet("requested_slot", missing)]


class _AskCheckinQuestion(Action):
    """Asks one check-in question: first as written, then (after an unclear answer or an
    explanation) in other words with buttons; or asks which of several values was meant."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        progress = load_progress(tracker, CHECKIN_FORM)
        pending = progress.pending or {}
        if pending.get("slot") == self.slot:
            if "choices" in pending:
                ask_with_choices(dispatcher, pending["choices"], UNITS.get(self.slot, ""))
                return []
            if "suggest" in pending:
                _ask_suggested(dispatcher, int(pending["suggest"]))
                return []
            if "which" in pending:
                _ask_what_to_change(dispatcher, tracker, domain)
                return []
        again = bool(progress.unclear.get(self.slot)) or self.slot in progress.explained
        return self.ask(dispatcher, tracker, progress, again)

    def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, progress: Progress, again: bool
    ) -> list[EventType]:
        prefix = "utter_reask_" if again else "utter_ask_"
        dispatcher.utter_message(response=f"{prefix}{self.slot}")
        return []


def _ask_suggested(dispatcher: CollectingDispatcher, suggested: int) -> None:
    scale = load_content("clinical")["mood"]
    values = range(suggested - MOOD_SUGGESTION_SPREAD, suggested + MOOD_SUGGESTION_SPREAD + 1)
    buttons = [
        {"title": str(v), "payload": str(v)}
        for v in values
        if scale["scale_min"] <= v <= scale["scale_max"]
    ]
    dispatcher.utter_message(
        response="utter_ask_mood_suggested", suggested=suggested, buttons=buttons
    )


def _ask_what_to_change(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> None:
    labels = load_content("checkin")["summary"]["labels"]
    asked = [s for s in ANSWER_SLOTS if tracker.get_slot(s) is not None]
    buttons = [{"title": labels[s].capitalize(), "payload": f"change {labels[s]}"} for s in asked]
    nothing = domain.get("responses", {}).get("utter_nothing_to_change", [{}])[0].get("text")
    buttons.append({"title": nothing or "Nothing, save it", "payload": "/affirm"})
    dispatcher.utter_message(response="utter_ask_what_to_change", buttons=buttons)


class ActionAskEarlySignPresent(_AskCheckinQuestion):
    """Asks today's rotating early-sign question and remembers which one it was."""

    slot = "early_sign_present"

    def ask(self, dispatcher, tracker, progress, again) -> list[EventType]:  # type: ignore[no-untyped-def]
        key = tracker.get_slot("early_sign_key")
        if not key:
            patient = find_profile(tracker)
            key = early_sign_question_for(patient.patient_id if patient else None, date.today())
        if again:
            dispatcher.utter_message(response=f"utter_early_sign_{key}")
            dispatcher.utter_message(response="utter_reask_early_sign_present")
        else:
            dispatcher.utter_message(response=f"utter_early_sign_{key}")
        return [SlotSet("early_sign_key", key)]


class ActionAskCheckinConfirmed(_AskCheckinQuestion):
    """The one-line summary, with yes / change, before anything is saved."""

    slot = CONFIRM

    def ask(self, dispatcher, tracker, progress, again) -> list[EventType]:  # type: ignore[no-untyped-def]
        asked = [s for s in ANSWER_SLOTS if s not in progress.skipped]
        patient = find_profile(tracker)
        if patient and not patient.eye_closure_incomplete:
            asked.remove("eye_care_done")
        if tracker.get_slot("sessions_done") == 0:
            asked = [s for s in asked if s not in NEEDS_A_SESSION]
        summary = checkin_summary(_known(tracker), asked)
        update = progress.today_exists and tracker.get_slot(UPDATE_TODAY)
        response = "utter_ask_checkin_confirmed_update" if update else "utter_ask_checkin_confirmed"
        dispatcher.utter_message(response=response, summary=summary)
        return []


def _ask_class(slot: str) -> type[_AskCheckinQuestion]:
    return type(f"ActionAsk_{slot}", (_AskCheckinQuestion,), {"slot": slot})


ASK_ACTIONS = [
    _ask_class(slot)
    for slot in (UPDATE_TODAY, "face_feeling", "sessions_done", "minutes_practised")
    + ("mirror_used", "forced_movements", "eye_care_done", "mood")
]


def _as_int(value: Any) -> int | None:
    return None if value is None else int(value)


class ActionSubmitCheckin(Action):
    """Stores the confirmed check-in (or updates today's), coaches, clears the slots."""

    def name(self) -> str:
        return "action_submit_checkin"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in CHECKIN_SLOTS]
        reset.append(store_progress(tracker, CHECKIN_FORM, None))
        slot = tracker.get_slot
        if slot(UPDATE_TODAY) is False:
            dispatcher.utter_message(response="utter_checkin_kept")
            return reset + [SlotSet("offer", None)]
        profile = find_profile(tracker)
        if profile is None:
            dispatcher.utter_message(response="utter_not_enrolled")
            return reset
        if not profile.consented:
            return reset + ask_for_consent(dispatcher)
        if slot(CONFIRM) is not True:
            dispatcher.utter_message(response="utter_checkin_paused")
            return [SlotSet("paused_form", CHECKIN_FORM)]
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
                if patient.data_consent_version is None:
                    return reset + ask_for_consent(dispatcher)
                outcome = record_checkin(
                    session, patient, answers, submission_key(tracker, "checkin")
                )
                numbers = locale_numbers(patient.locale)
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_checkin_save_failed")
            return []
        told = who_was_told(outcome.recipients, needed=False)  # promise only what happened
        for response in outcome.responses:
            dispatcher.utter_message(
                response=response, who_was_told=told, plan_steps=outcome.plan_steps, **numbers
            )
        offer = "reminder_time" if any(r in REMINDER_OFFERS for r in outcome.responses) else None
        return reset + [SlotSet("offer", offer)]
