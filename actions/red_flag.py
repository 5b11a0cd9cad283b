"""Red flags: tell the sender what to do now, escalate, and stop any running form."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text
from coach.triage.red_flag_service import handle_red_flag


class ActionHandleRedFlag(Action):
    """Emergency / urgent guidance first, then the escalation (or the spool if the DB is down)."""

    def name(self) -> str:
        return "action_handle_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        outcome = handle_red_flag(
            latest_text(tracker),
            tracker.get_latest_input_channel(),
            tracker.sender_id,
            (tracker.latest_message or {}).get("message_id") or "no-id",
        )
        numbers = {"emergency_number": outcome.emergency_number, "crisis_line": outcome.crisis_line}
        dispatcher.utter_message(response=outcome.response, **numbers)
        if not outcome.enrolled:
            dispatcher.utter_message(response="utter_red_flag_not_enrolled", **numbers)
        if tracker.active_loop:
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        return []
