"""Red flags: tell the sender what to do now, escalate, and stop any running form.

A rule match (intent `red_flag`) escalates at once. A model-only red flag (`possible_red_flag`)
first gets one confirming question (`action_check_red_flag`); on "yes" this action escalates the
message that raised the question.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text
from coach.triage.red_flag_service import handle_red_flag

CHECK_SLOT = "red_flag_check_text"


def _message_id(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("message_id") or "no-id"


def _stop_form(tracker: Tracker) -> list[EventType]:
    return [ActiveLoop(None), SlotSet("requested_slot", None)] if tracker.active_loop else []


class ActionHandleRedFlag(Action):
    """Emergency / urgent guidance first, then the escalation (or the spool if the DB is down)."""

    def name(self) -> str:
        return "action_handle_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        confirmed = tracker.get_slot(CHECK_SLOT) if intent == "affirm" else None
        outcome = handle_red_flag(
            confirmed or latest_text(tracker),
            tracker.get_latest_input_channel(),
            tracker.sender_id,
            _message_id(tracker),
        )
        dispatcher.utter_message(response=outcome.response, **outcome.template_values)
        if outcome.english_only:
            dispatcher.utter_message(text=outcome.english_only)
        return [*_stop_form(tracker), SlotSet(CHECK_SLOT, None)]


class ActionCheckRedFlag(Action):
    """A model-only red flag: one short confirming question with buttons, nothing escalated yet."""

    def name(self) -> str:
        return "action_check_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_red_flag_check")
        # A running form is paused (answers kept) so "yes"/"no" answers this question only.
        return [*_stop_form(tracker), SlotSet(CHECK_SLOT, latest_text(tracker)[:1000])]
