"""Another time for the daily check-in prompt ("could you remind me at 7 pm?")."""

from __future__ import annotations

from datetime import time

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import latest_text
from actions.form_turns import fresh_user_message, is_red_flag, load_progress, store_progress
from coach.checkin.progress import SKIP_AFTER_UNCLEAR
from coach.checkin.reminder_time import read_reminder_time, set_checkin_time, spoken
from coach.checkin.yes_no import read_yes_no
from coach.storage.db import transaction
from coach.storage.patients import patient_for_sender

FORM = "reminder_time_form"
SLOT = "reminder_time"
KEEP = "keep"  # the patient changed their mind: the time stays as it is


class ValidateReminderTimeForm(FormValidationAction):
    """Reads a clock time; asks "am or pm?" when it could be either; gives up kindly."""

    def name(self) -> str:
        return "validate_reminder_time_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        return [SLOT]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        starting = (tracker.active_loop or {}).get("name") != FORM
        if not fresh_user_message(tracker, FORM) or is_red_flag(tracker):
            return [] if not starting else [SlotSet("requested_slot", SLOT)]
        progress = load_progress(tracker, FORM)
        text = latest_text(tracker)
        reading = read_reminder_time(text)
        pending = (progress.pending or {}).get("choices")
        value: str | None = None
        if reading.value is not None:
            value = reading.value.strftime("%H:%M")
        elif pending and read_yes_no(text).value is False and not starting:
            value = KEEP
        elif reading.choices:
            progress.pending = {
                "slot": SLOT,
                "choices": [t.strftime("%H:%M") for t in reading.choices],
            }
        elif not starting and read_yes_no(text).value is False:
            value = KEEP
        elif not starting:
            progress.unclear[SLOT] = progress.unclear.get(SLOT, 0) + 1
            if progress.unclear[SLOT] >= SKIP_AFTER_UNCLEAR:
                value = KEEP
        if value is not None:
            progress.pending = None
        events = [store_progress(tracker, FORM, progress)]
        if value is not None:
            events.append(SlotSet(SLOT, value))
        return events + [SlotSet("requested_slot", None if value else SLOT)]


class ActionAskReminderTime(Action):
    """What time would suit you? — or am or pm? with buttons."""

    def name(self) -> str:
        return "action_ask_reminder_time"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        progress = load_progress(tracker, FORM)
        choices = (progress.pending or {}).get("choices")
        if choices:
            spoken_times = [spoken(time.fromisoformat(c)) for c in choices]
            buttons = [{"title": s, "payload": s} for s in spoken_times]
            dispatcher.utter_message(response="utter_ask_choice", buttons=buttons)
        elif progress.unclear.get(SLOT):
            dispatcher.utter_message(response="utter_reask_reminder_time")
        else:
            dispatcher.utter_message(response="utter_ask_reminder_time")
        return []


class ActionSetReminderTime(Action):
    """Stores the new check-in time on the patient's clock (the scheduler reads it)."""

    def name(self) -> str:
        return "action_set_reminder_time"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        done = [SlotSet(SLOT, None), store_progress(tracker, FORM, None), SlotSet("offer", None)]
        wanted = tracker.get_slot(SLOT)
        if wanted is None:  # asked in the middle of another form: only a clear time is taken
            reading = read_reminder_time(latest_text(tracker))
            if reading.value is None:
                dispatcher.utter_message(response="utter_reminder_time_after_form")
                return done
            wanted = reading.value.strftime("%H:%M")
        if wanted == KEEP:
            dispatcher.utter_message(response="utter_reminder_time_kept")
            return done
        try:
            with transaction() as session:
                patient = patient_for_sender(
                    session, tracker.get_latest_input_channel(), tracker.sender_id
                )
                if patient is None:
                    dispatcher.utter_message(response="utter_not_enrolled")
                    return done
                change = set_checkin_time(session, patient, time.fromisoformat(wanted))
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_reminder_time_failed")
            return done
        response = (
            "utter_reminder_time_set_today"
            if change.starts_today
            else "utter_reminder_time_set_tomorrow"
        )
        dispatcher.utter_message(response=response, reminder=spoken(change.checkin_time))
        return done
