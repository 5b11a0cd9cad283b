"""Weekly SAQ form: 1–5 answers in the patient's words (all nine at once if they like),
a summary before saving, scoring and storage on submit."""

from __future__ import annotations

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import ask_for_consent, find_profile, submission_key
from actions.form_turns import (
    SAQ_FORM,
    answer_text,
    ask_with_choices,
    fresh_user_message,
    load_progress,
    store_progress,
)
from coach.checkin.progress import Progress, advance
from coach.checkin.saq import SAQ_ITEM_COUNT
from coach.checkin.service import record_saq
from coach.checkin.summary import saq_summary
from coach.checkin.understand import read_saq
from coach.storage.db import transaction
from coach.storage.patients import patient_for_sender

SAQ_ITEMS = tuple(f"saq_{n}" for n in range(1, SAQ_ITEM_COUNT + 1))
CONFIRM = "saq_confirmed"
SAQ_SLOTS = (*SAQ_ITEMS, CONFIRM)
EXPLAIN_AFTER_UNCLEAR = 2  # the second unclear answer gets the item explained


class ValidateSaqForm(FormValidationAction):
    """Reads scale numbers, scale words, emoji digits and whole lists of answers."""

    def name(self) -> str:
        return "validate_saq_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        profile = find_profile(tracker)
        if profile is None or not profile.consented:
            return []  # nothing is asked or kept before the patient's OK (submit says why)
        if load_progress(tracker, SAQ_FORM).gave_up:
            return []  # pause: the submit action keeps the answers for later
        return list(domain_slots)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        progress = load_progress(tracker, SAQ_FORM)
        starting = (tracker.active_loop or {}).get("name") != SAQ_FORM
        events: list[EventType] = []
        if starting:
            if tracker.get_slot("paused_form"):
                events.append(SlotSet("paused_form", None))
            progress.gave_up = False
            if all(tracker.get_slot(slot) is None for slot in SAQ_ITEMS):
                progress = Progress()
        requested = None if starting else tracker.get_slot("requested_slot")
        known = {slot: tracker.get_slot(slot) for slot in SAQ_SLOTS}
        text = answer_text(
            tracker, SAQ_FORM, lambda t: read_saq(t, requested, known).found_anything
        )
        if text is None and not starting and fresh_user_message(tracker, SAQ_FORM):
            return []  # not an answer: the rules reply, then the form asks again
        if text is not None:
            reading = read_saq(text, requested, known)
            step = advance(progress, reading, requested, known, text, CONFIRM, skippable=False)
            for response, kwargs in step.say:
                dispatcher.utter_message(response=response, **kwargs)
            events += [SlotSet(slot, value) for slot, value in step.values.items()]
        events.append(store_progress(tracker, SAQ_FORM, progress))
        tracker.add_slots(events)
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.get_slot(slot) is None), None)
        return events + [SlotSet("requested_slot", missing)]


class _AskSaqItem(Action):
    """Asks one SAQ item; after an unclear answer with the scale as buttons, then explained."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        progress = load_progress(tracker, SAQ_FORM)
        pending = progress.pending or {}
        if pending.get("slot") == self.slot and "choices" in pending:
            ask_with_choices(dispatcher, pending["choices"])
            return []
        unclear = progress.unclear.get(self.slot, 0)
        if unclear >= EXPLAIN_AFTER_UNCLEAR or self.slot in progress.explained:
            dispatcher.utter_message(response=f"utter_explain_{self.slot}")
            dispatcher.utter_message(response="utter_reask_saq")
        elif unclear:
            dispatcher.utter_message(response=f"utter_ask_{self.slot}")
            dispatcher.utter_message(response="utter_reask_saq")
        else:
            dispatcher.utter_message(response=f"utter_ask_{self.slot}")
        return []


class ActionAskSaqConfirmed(Action):
    """The nine answers in one line, with yes / change one, before saving."""

    def name(self) -> str:
        return "action_ask_saq_confirmed"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        progress = load_progress(tracker, SAQ_FORM)
        if (progress.pending or {}).get("slot") == CONFIRM:
            dispatcher.utter_message(response="utter_ask_saq_which_to_change")
            return []
        answers = saq_summary([tracker.get_slot(slot) for slot in SAQ_ITEMS])
        dispatcher.utter_message(response="utter_ask_saq_confirmed", answers=answers)
        return []


ASK_ACTIONS = [type(f"ActionAsk_{s}", (_AskSaqItem,), {"slot": s}) for s in SAQ_ITEMS]


class ActionSubmitSaq(Action):
    """Scores and stores the confirmed SAQ, tells the patient, escalates a real rise."""

    def name(self) -> str:
        return "action_submit_saq"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in SAQ_SLOTS]
        reset.append(store_progress(tracker, SAQ_FORM, None))
        values = [tracker.get_slot(slot) for slot in SAQ_ITEMS]
        profile = find_profile(tracker)
        if profile is None:
            dispatcher.utter_message(response="utter_not_enrolled")
            return reset
        if not profile.consented:
            return reset + ask_for_consent(dispatcher)
        if tracker.get_slot(CONFIRM) is not True or any(v is None for v in values):
            dispatcher.utter_message(response="utter_saq_paused")
            progress = load_progress(tracker, SAQ_FORM)
            progress.gave_up, progress.unclear = False, {}
            return [SlotSet("paused_form", SAQ_FORM), store_progress(tracker, SAQ_FORM, progress)]
        items = [int(v) for v in values]
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
