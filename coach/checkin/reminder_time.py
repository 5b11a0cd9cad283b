"""Changing the time of the daily check-in prompt, on the patient's own clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timezone

from sqlalchemy.orm import Session

from coach.checkin.quantities import mentions_time_range, normalise, numbers, times_of_day
from coach.storage.models import Patient

HOURS_ON_A_CLOCK_FACE = 12


@dataclass(frozen=True)
class TimeReading:
    """A clock time in a message: one `value`, or `choices` to ask about ("7" → am or pm)."""

    value: time | None = None
    choices: list[time] = field(default_factory=list)
    vague: bool = False  # "in the evening": a part of the day, no clock time


@dataclass(frozen=True)
class ReminderChange:
    """The new daily prompt time, and whether it still comes today."""

    checkin_time: time
    timezone: str
    starts_today: bool


def read_reminder_time(text: str) -> TimeReading:
    """The time of day a patient asks for ("7 pm", "half past seven in the evening")."""
    clean = normalise(text)
    mentions = times_of_day(clean)
    if len(mentions) == 1 and len(mentions[0]) == 1:
        return TimeReading(value=mentions[0][0])
    if mentions:
        return TimeReading(choices=sorted({t for m in mentions for t in m})[:4])
    hours = [n.value for n in numbers(clean) if n.value == int(n.value) and 0 <= n.value < 24]
    if len(hours) == 1:  # a bare "7" when asked for a time
        hour = int(hours[0])
        if hour == 0 or hour > HOURS_ON_A_CLOCK_FACE:
            return TimeReading(value=time(hour))
        return TimeReading(choices=[time(hour % HOURS_ON_A_CLOCK_FACE), time(hour % 12 + 12)])
    return TimeReading(vague=mentions_time_range(clean))


def spoken(moment: time) -> str:
    """7:00 pm, 7:30 am."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def set_checkin_time(
    session: Session, patient: Patient, new_time: time, now: datetime | None = None
) -> ReminderChange:
    """Store the new local prompt time (the scheduler's sweep reads it on its next pass)."""
    from coach.checkin.service import patient_today
    from coach.scheduler.sweep import zone_info

    patient.checkin_time = new_time.replace(second=0, microsecond=0, tzinfo=None)
    moment = now or datetime.now(timezone.utc)
    local = moment.astimezone(zone_info(patient.timezone))
    starts_today = patient.last_prompted_on != patient_today(patient, moment) and (
        local.time().replace(tzinfo=None) < patient.checkin_time
    )
    return ReminderChange(patient.checkin_time, patient.timezone, starts_today)
