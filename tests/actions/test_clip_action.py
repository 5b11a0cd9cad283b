"""action_analyze_clip against tracker fixtures: pool, storage, baseline, triage, ownership."""

from pathlib import Path

import pytest
from sqlalchemy import select, update

from actions.clip import ActionAnalyzeClip, clip_runner
from coach.clips.config import load_config
from coach.clips.intake import clip_path, key_frames_path, plot_path
from coach.config import get_settings
from coach.media.incoming import IncomingWriter, incoming_path
from coach.storage.db import transaction
from coach.storage.models import ClipAnalysis, ClipUpload, Escalation, Patient
from tests.actions.conftest import make_tracker
from tests.conftest import add_patient

# The fixed opening of the content file's "a therapist will look" result message.
REVIEW_PROMISE = load_config().messages["result"]["review"].split("{signs}")[0].strip()
SEE_A_DOCTOR = "please see a doctor today"  # CLINICAL.md: weakness on the other side or both
REASSURANCE = "expected during recovery"


@pytest.fixture(autouse=True)
def _own_media_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A media folder per test (`make test` exports MEDIA_DIR for the whole run)."""
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _received(path: Path) -> str:
    """A video as a channel leaves it: quarantined under its content id."""
    writer = IncomingWriter(load_config().limits.max_bytes)
    writer.write(path.read_bytes())
    return writer.finish()


def _clip_tracker(sender: str, clip_id: str):
    tracker = make_tracker(
        sender,
        f'/EXTERNAL_clip_uploaded{{"clip_id": "{clip_id}"}}',
        intent="EXTERNAL_clip_uploaded",
    )
    tracker.latest_message["entities"] = [{"entity": "clip_id", "value": clip_id}]
    return tracker


async def test_first_good_clip_becomes_the_baseline(
    clinic, dispatcher, domain, protocol_clip_files
) -> None:
    clip_id = _received(protocol_clip_files["healthy"])
    try:
        await ActionAnalyzeClip().run(dispatcher, _clip_tracker(clinic.sender_id, clip_id), domain)
    finally:
        clip_runner().shutdown()
    texts = [m.get("text") for m in dispatcher.messages]
    assert texts[0]  # the plain-language result from the content file
    assert REVIEW_PROMISE not in texts[0]
    with transaction(clinic.url) as session:
        row = session.scalars(select(ClipAnalysis)).one()
        assert (row.is_baseline, row.needs_review, row.clip_id) == (True, False, clip_id)
        assert row.report["metrics"]
        upload = session.scalars(select(ClipUpload)).one()
        assert (upload.patient_id, upload.clip_id) == (clinic.patient_id, clip_id)
    assert plot_path(clip_id).read_bytes().startswith(b"\x89PNG")
    assert key_frames_path(clip_id).read_bytes().startswith(b"\x89PNG")
    assert incoming_path(clip_id) is None and clip_path(clip_id) is not None


async def test_synkinesis_clip_is_escalated(clinic, dispatcher, domain, protocol_clip_files):
    replies = await _send_clips(
        clinic,
        dispatcher,
        domain,
        [protocol_clip_files["healthy"], protocol_clip_files["synkinesis"]],
    )
    assert all(replies) and not any(REVIEW_PROMISE in text for text in replies[0])
    assert REVIEW_PROMISE in replies[1][0]  # the sign comes first, with the review promise
    with transaction(clinic.url) as session:
        rows = session.scalars(select(ClipAnalysis).order_by(ClipAnalysis.id)).all()
        assert [(r.is_baseline, r.needs_review) for r in rows] == [(True, False), (False, True)]
        assert "right" in rows[1].report["flags"]["ocular_synkinesis"]
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.kind, escalation.level) == ("early_synkinesis", "working_day")
        assert escalation.evidence["clip_findings"] == "ocular synkinesis (right)"
        assert escalation.evidence["clip_analysis_id"] == rows[1].id


async def test_unknown_clip_id_asks_to_resend(clinic, dispatcher, domain) -> None:
    await ActionAnalyzeClip().run(dispatcher, _clip_tracker(clinic.sender_id, "f" * 64), domain)
    assert dispatcher.messages[0]["response"] == "utter_clip_missing"
    with transaction(clinic.url) as session:
        assert session.scalars(select(ClipAnalysis)).all() == []


async def test_a_refused_clip_is_deleted_at_once(
    clinic, dispatcher, domain, protocol_clip_files, monkeypatch
) -> None:
    """No face, too dark, several faces...: nothing of a refused clip is kept."""
    import actions.clip
    from coach.clips.errors import ClipRejected, Code

    class Refusing:
        async def analyze(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise ClipRejected(Code.NO_FACE.value, "I couldn't see a face: please retake it.")

    monkeypatch.setattr(actions.clip, "clip_runner", lambda: Refusing())
    clip_id = _received(protocol_clip_files["healthy"])
    await ActionAnalyzeClip().run(dispatcher, _clip_tracker(clinic.sender_id, clip_id), domain)
    assert dispatcher.messages[0]["text"] == "I couldn't see a face: please retake it."
    assert clip_path(clip_id) is None and incoming_path(clip_id) is None
    with transaction(clinic.url) as session:
        assert session.scalars(select(ClipAnalysis)).all() == []
        assert session.scalars(select(ClipUpload)).all() == []


async def test_a_clip_bound_to_another_patient_is_not_analysed(
    clinic, dispatcher, domain, protocol_clip_files
) -> None:
    clip_id = _received(protocol_clip_files["healthy"])
    try:
        await ActionAnalyzeClip().run(dispatcher, _clip_tracker(clinic.sender_id, clip_id), domain)
        intruder = add_patient(clinic.url, "intruder")
        await ActionAnalyzeClip().run(
            dispatcher, _clip_tracker(intruder.sender_id, clip_id), domain
        )
    finally:
        clip_runner().shutdown()
    assert dispatcher.messages[-1]["response"] == "utter_clip_missing"
    with transaction(clinic.url) as session:
        owners = session.scalars(select(ClipAnalysis.patient_id)).all()
    assert owners == [clinic.patient_id]


async def test_no_clip_is_kept_without_clip_consent(
    clinic, dispatcher, domain, protocol_clip_files
) -> None:
    with transaction(clinic.url) as session:
        session.execute(update(Patient).values(clip_consent_version=None))
    clip_id = _received(protocol_clip_files["healthy"])
    await ActionAnalyzeClip().run(dispatcher, _clip_tracker(clinic.sender_id, clip_id), domain)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_clip_consent_needed",
        "utter_clip_consent_request",
    ]
    assert incoming_path(clip_id) is None and clip_path(clip_id) is None
    with transaction(clinic.url) as session:
        assert session.scalars(select(ClipAnalysis)).all() == []


async def _send_clips(clinic, dispatcher, domain, paths) -> list[list[str]]:
    """Each clip through the action in turn, as the patient's uploads; per upload, the texts
    of the chat messages the patient got back."""
    replies = []
    try:
        for path in paths:
            clip_id = _received(path)
            before = len(dispatcher.messages)
            await ActionAnalyzeClip().run(
                dispatcher, _clip_tracker(clinic.sender_id, clip_id), domain
            )
            replies.append([m.get("text") or "" for m in dispatcher.messages[before:]])
    finally:
        clip_runner().shutdown()
    return replies


def _escalations(clinic) -> list[tuple[str, str]]:
    with transaction(clinic.url) as session:
        rows = session.scalars(select(Escalation).order_by(Escalation.id)).all()
        return [(e.kind, e.level) for e in rows]


async def test_weakness_on_the_recorded_unaffected_side_is_escalated_not_reassured(
    clinic, dispatcher, domain, side_clip_files
) -> None:
    """The patient's record says left; the clip's weak side is the right."""
    [reply] = await _send_clips(clinic, dispatcher, domain, [side_clip_files["right_weak"]])
    assert SEE_A_DOCTOR in reply[0] and "mirrored" in reply[0]  # the red flag comes first
    assert "your right side moved less than your left side" in reply[0]
    assert not any(REASSURANCE in text or REVIEW_PROMISE in text for text in reply)
    assert _escalations(clinic) == [("other_cause", "urgent")]  # one, and no synkinesis one
    with transaction(clinic.url) as session:
        row = session.scalars(select(ClipAnalysis)).one()
        assert row.report["side_check"]["status"] == "opposite" and row.needs_review
        assert not row.is_baseline  # a clip that needs a doctor is never the starting point
    assert not any("starting point" in text for text in reply)


async def test_weakness_on_both_sides_since_the_starting_clip_is_escalated(
    clinic, dispatcher, domain, protocol_clip_files, side_clip_files
) -> None:
    clips = [protocol_clip_files["healthy"], side_clip_files["both_weak"]]
    start, reply = await _send_clips(clinic, dispatcher, domain, clips)
    assert start and not any(SEE_A_DOCTOR in text for text in start)
    assert "both sides of your face moved much less" in reply[0] and SEE_A_DOCTOR in reply[0]
    assert not any(REASSURANCE in text for text in reply)
    assert _escalations(clinic) == [("other_cause", "urgent")]
    with transaction(clinic.url) as session:
        rows = session.scalars(select(ClipAnalysis).order_by(ClipAnalysis.id)).all()
        assert [r.is_baseline for r in rows] == [True, False]
        assert rows[1].report["side_check"]["status"] == "both"
