"""action_analyze_clip against tracker fixtures: pool, storage, baseline, triage."""

from sqlalchemy import select

from actions.clip import ActionAnalyzeClip, clip_runner
from coach.clips.config import load_config
from coach.clips.intake import key_frames_path, plot_path, store_clip_file
from coach.config import get_settings
from coach.storage.db import transaction
from coach.storage.models import ClipAnalysis, Escalation
from tests.actions.conftest import make_tracker

# The fixed opening of the content file's "a therapist will look" result message.
REVIEW_PROMISE = load_config().messages["result"]["review"].split("{signs}")[0].strip()


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
    stored = store_clip_file(protocol_clip_files["healthy"], get_settings().media_dir)
    try:
        await ActionAnalyzeClip().run(
            dispatcher, _clip_tracker(clinic.sender_id, stored.clip_id), domain
        )
    finally:
        clip_runner().shutdown()
    texts = [m.get("text") for m in dispatcher.messages]
    assert texts[0]  # the plain-language result from the content file
    assert REVIEW_PROMISE not in texts[0]
    with transaction(clinic.url) as session:
        row = session.scalars(select(ClipAnalysis)).one()
        assert (row.is_baseline, row.needs_review, row.clip_id) == (True, False, stored.clip_id)
        assert row.report["metrics"]
    assert plot_path(stored.clip_id).read_bytes().startswith(b"\x89PNG")
    assert key_frames_path(stored.clip_id).read_bytes().startswith(b"\x89PNG")


async def test_synkinesis_clip_is_escalated(clinic, dispatcher, domain, protocol_clip_files):
    media = get_settings().media_dir
    healthy = store_clip_file(protocol_clip_files["healthy"], media)
    sick = store_clip_file(protocol_clip_files["synkinesis"], media)
    try:
        replies = []
        for clip in (healthy, sick):
            before = len(dispatcher.messages)
            await ActionAnalyzeClip().run(
                dispatcher, _clip_tracker(clinic.sender_id, clip.clip_id), domain
            )
            replies.append([m.get("text") or "" for m in dispatcher.messages[before:]])
    finally:
        clip_runner().shutdown()
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
    from coach.clips.intake import clip_path

    class Refusing:
        async def analyze(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise ClipRejected(Code.NO_FACE.value, "I couldn't see a face: please retake it.")

    monkeypatch.setattr(actions.clip, "clip_runner", lambda: Refusing())
    stored = store_clip_file(protocol_clip_files["healthy"], get_settings().media_dir)
    assert clip_path(stored.clip_id) is not None
    await ActionAnalyzeClip().run(
        dispatcher, _clip_tracker(clinic.sender_id, stored.clip_id), domain
    )
    assert dispatcher.messages[0]["text"] == "I couldn't see a face: please retake it."
    assert clip_path(stored.clip_id) is None and not stored.path.exists()
    with transaction(clinic.url) as session:
        assert session.scalars(select(ClipAnalysis)).all() == []
