"""Where a form stands between messages: what was unclear, skipped, or needs a choice.

`advance` turns one `Reading` into the slot values to set and what to tell the patient, so an
unclear answer is asked again once, differently, and then skipped — never three times the same
— and an ambiguous one becomes a question with choices instead of a stored value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from coach.checkin.understand import CONFIRM_SLOTS, Reading
from coach.checkin.yes_no import read_yes_no

SKIP_AFTER_UNCLEAR = 2  # a question unclear this many times is skipped (check-in)
PAUSE_AFTER_UNCLEAR = 3  # … or, where every answer is needed (questionnaire), paused
NOT_SKIPPABLE = ("checkin_confirmed", "saq_confirmed", "checkin_update_today")
# Answers that only make sense after at least one session.
NEEDS_A_SESSION = ("minutes_practised", "mirror_used")


@dataclass
class Progress:
    """Per-form state kept in the `answer_state` slot."""

    unclear: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    pending: dict[str, Any] | None = None  # {"slot", "choices"} | {"slot", "suggest"} | which
    last: str | None = None  # the slot answered last (target of "sorry, I meant 3")
    explained: list[str] = field(default_factory=list)
    today_exists: bool | None = None  # a check-in is already stored today
    gave_up: bool = False  # pause: a questionnaire item stayed unclear

    @classmethod
    def load(cls, state: Any, form: str) -> Progress:
        """This form's progress from the slot value (a dict keyed by form name)."""
        mine = (state or {}).get(form) if isinstance(state, dict) else None
        if not isinstance(mine, dict):
            return cls()
        known = {k: v for k, v in mine.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def store(self, state: Any, form: str) -> dict[str, Any]:
        """The slot value with this form's progress replaced."""
        merged = dict(state) if isinstance(state, dict) else {}
        merged[form] = asdict(self)
        return merged


@dataclass
class Step:
    """What one message does to a form."""

    values: dict[str, Any] = field(default_factory=dict)  # slot → value (None clears it)
    say: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # responses first


def _resolve_pending(progress: Progress, reading: Reading, text: str) -> Any:
    """The value a reply gives to a pending choice or suggestion, or None."""
    pending = progress.pending or {}
    slot = pending.get("slot")
    if slot in reading.values:
        return reading.values[slot]
    answer = read_yes_no(text).value
    if "suggest" in pending and answer is True:
        return pending["suggest"]
    return None


def advance(
    progress: Progress,
    reading: Reading,
    requested: str | None,
    known: dict[str, Any],
    text: str,
    confirm_slot: str,
    skippable: bool = True,
) -> Step:
    """Apply one reading: values to set, progress updated in place, messages to send."""
    step = Step()
    if progress.pending and progress.pending.get("slot") == requested:
        value = _resolve_pending(progress, reading, text)
        if value is not None and "which" not in progress.pending:
            reading.values[requested] = value
        progress.pending = None
    changed = []
    for slot, value in reading.values.items():
        if known.get(slot) is not None and known.get(slot) != value and slot not in CONFIRM_SLOTS:
            changed.append(slot)
        step.values[slot] = value
        if slot in progress.skipped:
            progress.skipped.remove(slot)
        progress.unclear.pop(slot, None)
        if slot not in CONFIRM_SLOTS:
            progress.last = slot
    if step.values.get("sessions_done") == 0:
        for slot in NEEDS_A_SESSION:
            step.values[slot] = None
    if changed:
        step.say.append(("utter_answer_changed", {}))
    if any(slot not in CONFIRM_SLOTS for slot in step.values) and known.get(confirm_slot):
        step.values[confirm_slot] = None  # changed after the summary: show it again
    for slot, choices in reading.choices.items():
        progress.pending = {"slot": slot, "choices": choices}
        break
    if reading.suggestion and not progress.pending:
        progress.pending = {"slot": reading.suggestion[0], "suggest": reading.suggestion[1]}
    if reading.change:
        step.values[confirm_slot] = None
        if reading.change_slot:
            step.values[reading.change_slot] = None
            if reading.change_slot in progress.skipped:
                progress.skipped.remove(reading.change_slot)
            progress.unclear.pop(reading.change_slot, None)
        else:
            progress.pending = {"slot": confirm_slot, "which": True}
    if reading.unclear and requested and not step.values and not progress.pending:
        _unclear(progress, requested, confirm_slot, skippable, step)
    elif _still_unanswered(requested, step, progress) and not changed:
        step.say.append(("utter_noted", {}))  # other answers taken; this one comes back
        if requested not in progress.explained:  # … in other words, with buttons
            progress.explained.append(requested)
    return step


def _still_unanswered(requested: str | None, step: Step, progress: Progress) -> bool:
    return bool(
        requested
        and requested not in CONFIRM_SLOTS
        and step.values
        and requested not in step.values
        and not progress.pending
    )


def _unclear(progress: Progress, slot: str, confirm_slot: str, skippable: bool, step: Step) -> None:
    count = progress.unclear.get(slot, 0) + 1
    progress.unclear[slot] = count
    if slot == confirm_slot and count >= SKIP_AFTER_UNCLEAR:
        progress.pending = {"slot": confirm_slot, "which": True}
        progress.unclear.pop(slot)
    elif skippable and slot not in NOT_SKIPPABLE and count >= SKIP_AFTER_UNCLEAR:
        progress.skipped.append(slot)
        progress.unclear.pop(slot)
        step.say.append(("utter_question_skipped", {}))
    elif not skippable and count >= PAUSE_AFTER_UNCLEAR:
        progress.gave_up = True
