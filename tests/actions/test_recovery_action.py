"""The recovery nudge action (tracker fixtures): the referral advice, the therapist's routine note
written once, and "I've told your therapist" only when a therapist was told."""

from __future__ import annotations

from sqlalchemy import select

from actions.recovery import ActionRecoveryNudge
from coach.storage.db import transaction
from coach.storage.models import Escalation, Notification, Patient
from tests.actions.conftest import make_tracker


def _nudge(sender: str, intent: str):
    return make_tracker(sender, "", intent=intent, message_id=f"{intent}-1")


async def test_three_week_nudge_advises_referral_and_notes_the_therapist(
    clinic, dispatcher, domain
) -> None:
    for _ in range(2):  # the scheduler may resend after a crash: still one note
        await ActionRecoveryNudge().run(
            dispatcher, _nudge(clinic.sender_id, "EXTERNAL_recovery_stalled"), domain
        )
    responses = [m["response"] for m in dispatcher.messages]
    assert responses == ["utter_recovery_stalled", "utter_recovery_note_sent"] * 2
    with transaction(clinic.url) as session:
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.kind, escalation.level) == ("recovery_stalled", "routine")
        assert escalation.evidence["milestone"] == "21 days after onset"
        notified = session.scalars(select(Notification)).all()
        assert {(n.recipient_kind, n.channel) for n in notified} == {("therapist", "email")}


async def test_three_month_nudge_is_its_own_note(clinic, dispatcher, domain) -> None:
    for intent in ("EXTERNAL_recovery_stalled", "EXTERNAL_recovery_incomplete"):
        await ActionRecoveryNudge().run(dispatcher, _nudge(clinic.sender_id, intent), domain)
    assert dispatcher.messages[2]["response"] == "utter_recovery_incomplete"
    with transaction(clinic.url) as session:
        keys = sorted(session.scalars(select(Escalation.idempotency_key)).all())
    assert keys == [
        f"recovery_stalled:{clinic.patient_id}:incomplete",
        f"recovery_stalled:{clinic.patient_id}:stalled",
    ]


async def test_no_therapist_no_promise(clinic, dispatcher, domain) -> None:
    with transaction(clinic.url) as session:
        session.get(Patient, clinic.patient_id).therapist_id = None
    await ActionRecoveryNudge().run(
        dispatcher, _nudge(clinic.sender_id, "EXTERNAL_recovery_stalled"), domain
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_recovery_stalled"]


async def test_unknown_sender_gets_the_advice_only(app_db, dispatcher, domain) -> None:
    await ActionRecoveryNudge().run(
        dispatcher, _nudge("stranger", "EXTERNAL_recovery_incomplete"), domain
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_recovery_incomplete"]
    with transaction(app_db) as session:
        assert session.scalars(select(Escalation)).all() == []


async def test_a_scheduler_intent_mid_form_is_never_an_answer(clinic, dispatcher, domain) -> None:
    from actions.checkin_form import ValidateCheckinForm

    tracker = make_tracker(
        clinic.sender_id,
        "EXTERNAL: EXTERNAL_recovery_stalled",  # how Rasa records a trigger_intent message
        intent="EXTERNAL_recovery_stalled",
        active_loop="checkin_form",
        requested_slot="face_feeling",
    )
    del tracker.latest_message["intent"]["confidence"]  # external intents carry none
    events = await ValidateCheckinForm().run(dispatcher, tracker, domain)
    assert events == []  # the form rejects: the nudge rule runs, then the form asks again
