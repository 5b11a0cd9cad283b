"""Selfie clips: analyse in a process pool, store, compare with the baseline, reply, triage."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import ask_for_consent, find_patient, sender_channel
from coach.clips.errors import ClipRejected
from coach.clips.intake import plot_path
from coach.clips.messages import paragraphs
from coach.clips.runner import AnalysisBusy, ClipAnalysisRunner
from coach.clips.service import baseline_report, discard_refused_clip, record_clip_analysis
from coach.config import get_settings
from coach.messaging.clips import claim_clip, discard_incoming
from coach.storage.db import transaction
from coach.storage.models import Patient

CLIP_ENTITY = "clip_id"


@lru_cache(maxsize=1)
def clip_runner() -> ClipAnalysisRunner:
    """The action server's one analysis pool."""
    settings = get_settings()
    return ClipAnalysisRunner(
        settings.clip_workers, settings.clip_max_pending, settings.clip_timeout_s
    )


class ActionAnalyzeClip(Action):
    """A clip the channel stored: analyse it and tell the patient what it showed."""

    def name(self) -> str:
        return "action_analyze_clip"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        patient = find_patient(tracker)
        if patient is None:
            dispatcher.utter_message(response="utter_not_enrolled")
            return []
        clip_id = next(tracker.get_latest_entity_values(CLIP_ENTITY), None) or ""
        if patient.data_consent_version is None or patient.clip_consent_version is None:
            discard_incoming(clip_id)  # not kept without the patient's OK
            if patient.data_consent_version is None:
                return ask_for_consent(dispatcher)
            dispatcher.utter_message(response="utter_clip_consent_needed")
            dispatcher.utter_message(response="utter_clip_consent_request")
            return [SlotSet("consent_topic", "clips")]
        try:
            with transaction() as session:
                path = claim_clip(session, patient.id, clip_id, sender_channel(tracker) or "")
        except ClipRejected as rejection:
            dispatcher.utter_message(text=rejection.message)
            return []
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        if path is None:  # unknown, gone, or another patient's clip
            dispatcher.utter_message(response="utter_clip_missing")
            return []
        try:
            with transaction() as session:
                baseline = baseline_report(session, patient.id)
            report = await clip_runner().analyze(
                path, patient.affected_side, baseline, plot_path(clip_id)
            )
        except ClipRejected as rejection:
            with transaction() as session:  # refused clips are not kept
                discard_refused_clip(session, clip_id)
            dispatcher.utter_message(text=rejection.message)
            return []
        except AnalysisBusy:
            dispatcher.utter_message(response="utter_clip_busy")
            return []
        except asyncio.TimeoutError:
            dispatcher.utter_message(response="utter_clip_timeout")
            return []
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        return self._record_and_reply(dispatcher, patient, clip_id, report)

    @staticmethod
    def _record_and_reply(
        dispatcher: CollectingDispatcher, patient: Patient, clip_id: str, report: dict
    ) -> list[EventType]:
        try:
            with transaction() as session:
                record_clip_analysis(session, session.merge(patient), clip_id, report)
        except SQLAlchemyError:
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        # When escalated, the message itself says the therapist will look (content file).
        for paragraph in paragraphs(report["patient_message"]):
            dispatcher.utter_message(text=paragraph)
        return []
