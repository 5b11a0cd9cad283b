"""Joining with an invite code, consent, STOP/START, "delete my data", channel-side clip
problems and SMS upload links. Thin: read the tracker, call coach.enrolment / coach.messaging."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from actions.common import find_patient, find_profile, forget_profile, sender_channel
from coach.channels.control import erase_request
from coach.channels.identity import UPLOAD_LINK_CHANNELS
from coach.clips.config import load_config
from coach.content import load_content
from coach.enrolment import RedeemResult, RedeemStatus, redeem_invite
from coach.messaging.consent import CLIPS, DATA, has_answered, record_consent
from coach.messaging.erasure import erase_patient_data, remove_files
from coach.messaging.optout import CAREGIVER, PATIENT, set_opt_out
from coach.messaging.upload_links import create_upload_link
from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, Patient, Therapist

CODE_ENTITY = "invite_code"
PROBLEM_ENTITY = "clip_problem"
TOPIC_SLOT = "consent_topic"
DECLINED = "declined"
CONSENT_ANSWERS = {
    "agree_data_consent": (DATA, True),
    "decline_data_consent": (DATA, False),
    "agree_clip_consent": (CLIPS, True),
    "decline_clip_consent": (CLIPS, False),
}
JOIN_REPLIES = {
    RedeemStatus.ALREADY_JOINED: "utter_already_joined",
    RedeemStatus.LINKED_ELSEWHERE: "utter_linked_elsewhere",
    RedeemStatus.EXPIRED: "utter_invite_expired",
    RedeemStatus.USED: "utter_invite_used",
}
SECONDS_PER_MINUTE = 60


def _stop_form(tracker: Tracker) -> list[EventType]:
    return [ActiveLoop(None), SlotSet("requested_slot", None)] if tracker.active_loop else []


def _intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


class ActionGreet(Action):
    """Hello; an unknown sender hears how to join (an enrolled one who has not agreed yet is
    asked by action_ask_consent, which follows)."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        profile = find_profile(tracker)
        if profile is None:
            dispatcher.utter_message(response="utter_greet_unknown")
        elif profile.consented:
            dispatcher.utter_message(response="utter_greet")
        return []


class ActionJoin(Action):
    """An invite code the connector parsed from `START <code>` / `/start <code>`."""

    def name(self) -> str:
        return "action_join"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        code = next(tracker.get_latest_entity_values(CODE_ENTITY), None) or ""
        channel = sender_channel(tracker)
        if channel is None:
            dispatcher.utter_message(response="utter_not_enrolled")
            return []
        try:
            with transaction() as session:
                result = redeem_invite(session, code, channel, tracker.sender_id)
                therapist = session.scalar(
                    select(Therapist.name)
                    .join(Patient, Patient.therapist_id == Therapist.id)
                    .where(Patient.id == result.patient_id)
                )
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        forget_profile(tracker)
        if result.status == RedeemStatus.JOINED:
            dispatcher.utter_message(
                response="utter_join_welcome", therapist_name=therapist or "your therapist"
            )
        elif result.status == RedeemStatus.UNKNOWN and result.attempts_left:
            dispatcher.utter_message(
                response="utter_invite_unknown", attempts_left=result.attempts_left
            )
        elif result.status in (RedeemStatus.UNKNOWN, RedeemStatus.LOCKED):
            dispatcher.utter_message(response="utter_invite_locked", wait_minutes=_wait(result))
        else:
            dispatcher.utter_message(response=JOIN_REPLIES[result.status])
        return []


def _wait(result: RedeemResult) -> int:
    """Whole minutes until a locked-out sender may try again (at least 1)."""
    if result.locked_until is None:
        return int(load_content("channels")["invites"]["lockout_window_minutes"])
    left = (result.locked_until - datetime.now(timezone.utc)).total_seconds()
    return max(1, math.ceil(left / SECONDS_PER_MINUTE))


class ActionAskConsent(Action):
    """Asks the next consent question that is due: data first; clip analysis right after
    joining or agreeing; says "all set" when a consent answer completed the pair."""

    def name(self) -> str:
        return "action_ask_consent"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        patient = find_patient(tracker)
        if patient is None:
            return []
        previous = tracker.latest_action_name
        answered = previous == "action_record_consent"
        if answered and tracker.get_slot(TOPIC_SLOT) == DECLINED:
            return [SlotSet(TOPIC_SLOT, None)]
        if patient.data_consent_version is None:
            dispatcher.utter_message(response="utter_consent_request")
            return [SlotSet(TOPIC_SLOT, DATA)]
        with transaction() as session:
            clips_answered = has_answered(session, patient.id, CLIPS)
        if not clips_answered and previous in ("action_join", "action_record_consent"):
            dispatcher.utter_message(response="utter_clip_consent_request")
            return [SlotSet(TOPIC_SLOT, CLIPS)]
        if answered:
            dispatcher.utter_message(response="utter_onboarding_done")
        return [SlotSet(TOPIC_SLOT, None)]


class ActionRecordConsent(Action):
    """Keeps a consent answer (button, or yes/no right after the question) with its version."""

    def name(self) -> str:
        return "action_record_consent"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = _intent(tracker)
        answer = CONSENT_ANSWERS.get(intent)
        topic = tracker.get_slot(TOPIC_SLOT)
        if answer is None and topic in (DATA, CLIPS) and intent in ("affirm", "deny"):
            answer = (topic, intent == "affirm")
        patient = find_patient(tracker)
        if patient is None:
            dispatcher.utter_message(response="utter_not_enrolled")
            return []
        if answer is None:
            return []
        kind, granted = answer
        if kind == CLIPS and patient.data_consent_version is None:
            return []  # action_ask_consent asks the data question first
        try:
            with transaction() as session:
                record_consent(session, patient.id, kind, granted, sender_channel(tracker) or "")
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        forget_profile(tracker)
        replies = {
            (DATA, True): "utter_consent_thanks",
            (DATA, False): "utter_consent_declined",
            (CLIPS, True): "utter_clip_consent_thanks",
            (CLIPS, False): "utter_clip_consent_declined",
        }
        dispatcher.utter_message(response=replies[answer])
        return [SlotSet(TOPIC_SLOT, DECLINED if answer == (DATA, False) else None)]


class ActionOptOut(Action):
    """STOP: no proactive message on this channel (patient), or no more reminders (caregiver)."""

    def name(self) -> str:
        return "action_opt_out"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return self._set(dispatcher, tracker, stop=True) + _stop_form(tracker)

    @staticmethod
    def _set(dispatcher, tracker: Tracker, stop: bool) -> list[EventType]:  # type: ignore[no-untyped-def]
        channel = sender_channel(tracker)
        try:
            with transaction() as session:
                result = set_opt_out(session, channel or "", tracker.sender_id, stop)
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        replies = {
            (PATIENT, True): "utter_opted_out",
            (PATIENT, False): "utter_opted_in",
            (CAREGIVER, True): "utter_caregiver_opted_out",
            (CAREGIVER, False): "utter_caregiver_opted_in",
        }
        unknown = "utter_opted_out_unknown" if stop else "utter_greet_unknown"
        dispatcher.utter_message(response=replies.get((result.who, stop), unknown))
        return []


class ActionOptIn(Action):
    """START: proactive messages resume on this channel."""

    def name(self) -> str:
        return "action_opt_in"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ActionOptOut._set(dispatcher, tracker, stop=False)


class ActionAskDeleteConfirmation(Action):
    """ "Delete my data": says what goes and asks for DELETE."""

    def name(self) -> str:
        return "action_ask_delete_confirmation"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if find_patient(tracker) is None:
            dispatcher.utter_message(response="utter_nothing_to_delete")
            return _stop_form(tracker)
        dispatcher.utter_message(response="utter_delete_confirm")
        return [SlotSet("deletion_requested", True)] + _stop_form(tracker)


class ActionCancelDeletion(Action):
    """A no to the deletion question."""

    def name(self) -> str:
        return "action_cancel_deletion"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_deletion_cancelled")
        return [SlotSet("deletion_requested", None)]


class ActionDeleteMyData(Action):
    """DELETE after the question: deletes the data, then asks the connector to erase the
    conversations (coach.channels.control)."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("deletion_requested"):
            dispatcher.utter_message(response="utter_deletion_not_requested")
            return []
        patient = find_patient(tracker)
        if patient is None:
            dispatcher.utter_message(response="utter_nothing_to_delete")
            return [SlotSet("deletion_requested", None)]
        try:
            with transaction() as session:
                report = erase_patient_data(session, patient.id)
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_deletion_failed")
            return []
        remove_files(report)
        forget_profile(tracker)
        dispatcher.utter_message(response="utter_deletion_done")
        dispatcher.utter_message(json_message=erase_request(report.sender_ids))
        return [SlotSet("deletion_requested", None), SlotSet(TOPIC_SLOT, None)]


class ActionClipRejected(Action):
    """A video the connector could not accept (too big, not a video, not downloadable)."""

    def name(self) -> str:
        return "action_clip_rejected"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        problem = next(tracker.get_latest_entity_values(PROBLEM_ENTITY), None) or ""
        retake = load_config().messages["retake"]
        if problem in retake:
            dispatcher.utter_message(text=retake[problem].strip())
        else:
            dispatcher.utter_message(response="utter_clip_missing")
        return []


class ActionOfferUploadLink(Action):
    """After the clip instructions: a patient on a channel without video gets a one-time link."""

    def name(self) -> str:
        return "action_offer_upload_link"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        channel = sender_channel(tracker)
        if channel not in UPLOAD_LINK_CHANNELS:
            return []
        patient = find_patient(tracker)
        if patient is None or patient.clip_consent_version is None:
            return []
        try:
            with transaction() as session:
                identity_id = session.scalar(
                    select(ChannelIdentity.id).where(
                        ChannelIdentity.channel == channel,
                        ChannelIdentity.sender_id == tracker.sender_id,
                    )
                )
                if identity_id is None:
                    return []
                url, _ = create_upload_link(session, identity_id)
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        dispatcher.utter_message(response="utter_upload_link")
        dispatcher.utter_message(text=url)  # on its own: phones make a lone link tappable
        return []
