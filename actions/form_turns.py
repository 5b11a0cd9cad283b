"""What the forms share: is this message an answer, the progress slot, and the form-wide
actions (pause, start over, explain a question)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text
from coach.checkin.progress import Progress
from coach.triage.red_flags import detect_red_flags

STATE_SLOT = "answer_state"
CHECKIN_FORM = "checkin_form"
SAQ_FORM = "saq_form"
# Intents that ask for something else: the form lets the rules answer them, then resumes.
COMMAND_INTENTS = {
    "stop_checkin",
    "restart_form",
    "where_were_we",
    "ask_explain",
    "ask_why",
    "start_saq",
    "start_checkin",
    "goodbye",
    "change_reminder_time",
    "ask_clip_instructions",
    "EXTERNAL_clip_uploaded",
    "EXTERNAL_daily_checkin",
    "EXTERNAL_weekly_saq",
    "EXTERNAL_weekly_clip",
    "EXTERNAL_recovery_stalled",
    "EXTERNAL_recovery_incomplete",
}
# Intents that are often answers in disguise ("I told you already, with a mirror" → faq):
# an answer wins unless the message is a question.
SOFT_INTENTS = {"faq", "greet", "thank", "help", "out_of_scope"}
COMMAND_MIN_CONFIDENCE = 0.8  # a less sure command that holds an answer is an answer
_QUESTION = re.compile(
    r"\?\s*$|^(?:what|how|why|when|where|who|which|can|could|should|shall|is|are|do|does|"
    r"will|would|may)\b",
    re.I,
)
_BUILTIN_PAYLOADS = ("/affirm", "/deny", "/change_answer")


def is_question(text: str) -> bool:
    """A message that asks something (not an answer)."""
    return bool(_QUESTION.search(text.strip()))


def intent_of(tracker: Tracker) -> tuple[str, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name") or "", float(intent.get("confidence") or 0.0)


def is_red_flag(tracker: Tracker) -> bool:
    """A red flag (by the NLU or by the raw-text rules): nothing from it is stored."""
    return intent_of(tracker)[0] == "red_flag" or bool(detect_red_flags(latest_text(tracker)))


def fresh_user_message(tracker: Tracker, form: str) -> bool:
    """True when the form runs right after the patient's message (not on its way back from an
    interruption such as a coaching answer)."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    if last_user < 0:
        return False
    quiet = {"action_listen", "action_extract_slots", form, f"validate_{form}", None}
    return all(
        e.get("event") != "action" or e.get("name") in quiet for e in events[last_user + 1 :]
    )


def answer_text(tracker: Tracker, form: str, holds_answer: Any) -> str | None:
    """The message to read as an answer, or None when it asks for something else.

    `holds_answer(text) -> bool` says whether the message gives an answer to this form.
    """
    if not fresh_user_message(tracker, form) or is_red_flag(tracker):
        return None
    text = latest_text(tracker)
    intent, confidence = intent_of(tracker)
    if text.startswith("/") and not text.startswith(_BUILTIN_PAYLOADS):
        return None  # a button for something else (/start_saq)
    if intent.startswith("EXTERNAL_"):
        return None  # sent by the scheduler or a channel (trigger_intent), never an answer
    if intent in COMMAND_INTENTS:
        if confidence >= COMMAND_MIN_CONFIDENCE or is_question(text) or not holds_answer(text):
            return None
    elif intent in SOFT_INTENTS and (is_question(text) or not holds_answer(text)):
        return None
    return text


def load_progress(tracker: Tracker, form: str) -> Progress:
    return Progress.load(tracker.get_slot(STATE_SLOT), form)


def store_progress(tracker: Tracker, form: str, progress: Progress | None) -> SlotSet:
    """The state slot with this form's progress replaced (or dropped when None)."""
    state = dict(tracker.get_slot(STATE_SLOT) or {})
    if progress is None:
        state.pop(form, None)
        return SlotSet(STATE_SLOT, state)
    return SlotSet(STATE_SLOT, progress.store(state, form))


def form_slots(domain: DomainDict, form: str) -> list[str]:
    return list(domain.get("forms", {}).get(form, {}).get("required_slots", []))


def ask_with_choices(dispatcher: CollectingDispatcher, choices: list[Any], unit: str = "") -> None:
    """'Just to be sure, which is it?' with one button per choice."""
    buttons = [{"title": f"{c}{unit}", "payload": str(c)} for c in choices]
    dispatcher.utter_message(response="utter_ask_choice", buttons=buttons)


def question_key(slot: str, tracker: Tracker) -> str:
    """The suffix of a question's explanation responses (early signs and SAQ items vary)."""
    if slot == "early_sign_present":
        return f"early_sign_{tracker.get_slot('early_sign_key') or 'eye_smile'}"
    return slot


class ActionPauseForm(Action):
    """Pauses the active form, keeping the answers so far."""

    def name(self) -> str:
        return "action_pause_form"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        loop = (tracker.active_loop or {}).get("name") or CHECKIN_FORM
        dispatcher.utter_message(
            response="utter_saq_paused" if loop == SAQ_FORM else "utter_checkin_paused"
        )
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("paused_form", loop)]


class ActionRestartForm(Action):
    """'Start over': forget this form's answers and begin again from the first question."""

    def name(self) -> str:
        return "action_restart_form"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = (tracker.active_loop or {}).get("name") or tracker.get_slot("paused_form")
        if form not in (CHECKIN_FORM, SAQ_FORM):
            form = CHECKIN_FORM
        keep = {"early_sign_key"}  # today's question stays today's question
        events: list[EventType] = [
            SlotSet(slot, None) for slot in form_slots(domain, form) if slot not in keep
        ]
        progress = load_progress(tracker, form)
        fresh = Progress(today_exists=progress.today_exists)
        events += [store_progress(tracker, form, fresh), SlotSet("requested_slot", None)]
        if tracker.get_slot("paused_form"):
            events.append(SlotSet("paused_form", None))
        dispatcher.utter_message(
            response="utter_saq_restarted" if form == SAQ_FORM else "utter_checkin_restarted"
        )
        return events


class ActionExplainQuestion(Action):
    """'What does that mean?' / 'why do you ask?' about the question just asked."""

    def name(self) -> str:
        return "action_explain_question"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = (tracker.active_loop or {}).get("name")
        slot = tracker.get_slot("requested_slot") if form else None
        if not form or not slot:
            dispatcher.utter_message(response="utter_explain_nothing")
            return []
        why = intent_of(tracker)[0] == "ask_why"
        if slot.startswith("saq_"):
            response = "utter_why_saq" if why else f"utter_explain_{slot}"
        elif why:
            response = f"utter_why_{slot}"
        else:
            response = f"utter_explain_{question_key(slot, tracker)}"
        dispatcher.utter_message(response=response)
        progress = load_progress(tracker, form)
        if slot not in progress.explained:
            progress.explained.append(slot)  # the question comes back in other words
        return [store_progress(tracker, form, progress)]
