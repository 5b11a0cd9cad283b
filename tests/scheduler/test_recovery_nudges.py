"""Recovery-stalled nudges: due 3 weeks and 3 months after onset on the patient's own clock,
after the check-in, each sent once; a failed send is retried (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone

import pytest
from factories import patient, therapist
from sqlalchemy import select

from coach.config import get_settings
from coach.scheduler.recovery_nudges import claim, find_due_nudges, run_recovery_nudges
from coach.scheduler.settings import scheduler_settings
from coach.storage.db import session_factory, transaction
from coach.storage.models import RecoveryNudge
from coach.triage.recovery import INCOMPLETE, STALLED, due_milestone

UTC = timezone.utc
ONSET = date(2026, 6, 1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _use_rasa(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("RASA_URL", url)
    monkeypatch.setenv("RASA_TOKEN", "")
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (20, None),
        (21, STALLED),
        (49, STALLED),  # 28 days late is still in time
        (50, None),  # later than that: the 3-week nudge is out of date
        (89, None),
        (90, INCOMPLETE),
        (118, INCOMPLETE),
        (119, None),
        (400, None),
    ],
)
def test_milestones_from_the_clinical_content(days: int, expected: str | None) -> None:
    assert due_milestone(ONSET, ONSET + timedelta(days=days)) == expected


def _due(url: str, now: datetime) -> list[tuple[str, str]]:
    with session_factory(url)() as session:
        from coach.storage.models import Patient

        return sorted(
            (session.get(Patient, d.patient_id).display_name, d.milestone)  # type: ignore[union-attr]
            for d in find_due_nudges(session, now)
        )


def test_due_on_the_patients_own_day_after_the_checkin(db_url: str) -> None:
    with transaction(db_url) as s:
        # 21 days after onset is 22 June. London (BST) check-in 09:00 → nudge from 11:00.
        patient(s, "London", zone="Europe/London", at=time(9, 0), onset_date=ONSET)
        # Auckland's 22 June starts 12:00 UTC on 21 June; 08:00 check-in → nudge from 10:00.
        patient(s, "Auckland", zone="Pacific/Auckland", at=time(8, 0), onset_date=ONSET)
        patient(s, "Early", onset_date=ONSET + timedelta(days=1))
        patient(s, "NoOnset", onset_date=None)
        patient(s, "Inactive", onset_date=ONSET, active=False)
        patient(s, "NoChannel", onset_date=ONSET, channel=None)
    assert _due(db_url, utc(2026, 6, 21, 21, 59)) == []  # Auckland 09:59 on the 22nd
    assert _due(db_url, utc(2026, 6, 21, 22, 0)) == [("Auckland", STALLED)]
    assert _due(db_url, utc(2026, 6, 22, 9, 59)) == [("Auckland", STALLED)]  # London 10:59
    assert _due(db_url, utc(2026, 6, 22, 10, 0)) == [("Auckland", STALLED), ("London", STALLED)]


def test_a_late_checkin_time_still_gets_its_nudge_that_day(db_url: str) -> None:
    with transaction(db_url) as s:
        patient(s, "Owl", zone="Europe/London", at=time(23, 0), onset_date=ONSET)
    assert _due(db_url, utc(2026, 6, 22, 22, 57)) == []  # 23:57 BST
    assert _due(db_url, utc(2026, 6, 22, 22, 59)) == [("Owl", STALLED)]  # 23:59


def test_each_nudge_is_sent_once_and_both_milestones_in_turn(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_rasa(monkeypatch, fake_http.url)
    with transaction(db_url) as s:
        patient(s, "Ada", at=time(9, 0), onset_date=ONSET, channel="telegram", sender="tg 7")
    factory, settings = session_factory(db_url), scheduler_settings(db_url)
    for day in (21, 22, 30):  # every later run in the window sends nothing more
        moment = datetime.combine(ONSET + timedelta(days=day), time(15, 0), UTC)
        run_recovery_nudges(factory, settings, now=moment)
    for day in (90, 91):
        moment = datetime.combine(ONSET + timedelta(days=day), time(15, 0), UTC)
        run_recovery_nudges(factory, settings, now=moment)
    names = [json.loads(r["body"])["name"] for r in fake_http.requests]
    assert names == ["EXTERNAL_recovery_stalled", "EXTERNAL_recovery_incomplete"]
    assert {r["path"] for r in fake_http.requests} == {"/conversations/tg%207/trigger_intent"}
    assert {r["query"]["output_channel"][0] for r in fake_http.requests} == {"telegram"}
    with factory() as s:
        rows = s.scalars(select(RecoveryNudge).order_by(RecoveryNudge.id)).all()
        assert [(r.milestone, r.sent_at is not None, r.claimed_until) for r in rows] == [
            (STALLED, True, None),
            (INCOMPLETE, True, None),
        ]


def test_enrolled_late_gets_only_the_nudge_still_in_date(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_rasa(monkeypatch, fake_http.url)
    with transaction(db_url) as s:
        patient(s, "Late", at=time(9, 0), onset_date=ONSET)
    factory, settings = session_factory(db_url), scheduler_settings(db_url)
    for day in (60, 100, 200):
        moment = datetime.combine(ONSET + timedelta(days=day), time(15, 0), UTC)
        run_recovery_nudges(factory, settings, now=moment)
    names = [json.loads(r["body"])["name"] for r in fake_http.requests]
    assert names == ["EXTERNAL_recovery_incomplete"]


def test_a_failed_send_is_retried_next_run(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_rasa(monkeypatch, fake_http.url)
    with transaction(db_url) as s:
        patient(s, "Ada", at=time(9, 0), onset_date=ONSET)
    factory, settings = session_factory(db_url), scheduler_settings(db_url)
    moment = utc(2026, 6, 22, 15, 0)
    fake_http.status = 503
    stats = run_recovery_nudges(factory, settings, now=moment)
    assert (stats.due, stats.sent, stats.failed) == (1, 0, 1)
    with factory() as s:
        row = s.scalars(select(RecoveryNudge)).one()
        assert (row.sent_at, row.claimed_until) == (None, None)  # released for the next run
    fake_http.status = 200
    stats = run_recovery_nudges(factory, settings, now=moment + timedelta(minutes=15))
    assert (stats.due, stats.sent, stats.failed) == (1, 1, 0)
    assert run_recovery_nudges(factory, settings, now=moment + timedelta(minutes=30)).due == 0
    assert len(fake_http.requests) == 2


def test_a_nudge_claimed_by_another_scheduler_is_not_sent_twice(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_rasa(monkeypatch, fake_http.url)
    with transaction(db_url) as s:
        patient(s, "Ada", at=time(9, 0), onset_date=ONSET, therapist_row=therapist(s))
    factory, settings = session_factory(db_url), scheduler_settings(db_url)
    moment = utc(2026, 6, 22, 15, 0)
    with factory() as s:
        [nudge] = find_due_nudges(s, moment)
    assert claim(factory, nudge, moment, lease_s=300)  # another scheduler, mid-send
    assert not claim(factory, nudge, moment, lease_s=300)
    stats = run_recovery_nudges(factory, settings, now=moment)
    assert (stats.due, stats.sent) == (0, 0)
    assert fake_http.requests == []
    # The other scheduler died: after its lease the nudge is sent, once.
    later = moment + timedelta(seconds=301)
    assert run_recovery_nudges(factory, settings, now=later).sent == 1
    assert run_recovery_nudges(factory, settings, now=later).sent == 0
    assert len(fake_http.requests) == 1


def test_the_job_is_registered() -> None:
    from coach.scheduler.jobs import JOBS
    from coach.scheduler.settings import DEFAULT_JOBS

    assert "recovery" in JOBS and "recovery" in DEFAULT_JOBS.split(",")


def test_nudges_follow_the_patients_channel_rules(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like a check-in prompt: no nudge without consent, after STOP or on a channel that cannot
    carry one (REST); a web chat patient sees it on their next visit."""
    import httpx

    from coach.messaging.prompts import deliver_prompt
    from coach.storage.models import ChannelIdentity, PromptDelivery

    _use_rasa(monkeypatch, fake_http.url)
    with transaction(db_url) as s:
        patient(s, "NoConsent", onset_date=ONSET, data_consent_version=None)
        stopped = patient(s, "Stopped", onset_date=ONSET)
        s.query(ChannelIdentity).filter_by(patient_id=stopped.id).update(
            {"opted_out_at": utc(2026, 6, 20, 9, 0)}
        )
        patient(s, "RestOnly", onset_date=ONSET, channel="rest", sender="rest-user")
        web = patient(s, "Web", onset_date=ONSET, channel="webchat")
    moment = utc(2026, 6, 22, 15, 0)
    factory = session_factory(db_url)
    with httpx.Client() as http:  # today's check-in is waiting for the page too
        deliver_prompt(factory, http, web.id, moment.date(), "EXTERNAL_daily_checkin")
    assert _due(db_url, moment) == [("Web", STALLED)]
    stats = run_recovery_nudges(factory, scheduler_settings(db_url), now=moment)
    assert (stats.sent, stats.failed) == (1, 0)
    assert fake_http.requests == []  # nothing triggered now: the page shows both, in order
    with factory() as s:
        rows = s.scalars(select(PromptDelivery).order_by(PromptDelivery.id)).all()
        assert [(r.channel, r.intent, r.status) for r in rows] == [
            ("webchat", "EXTERNAL_daily_checkin", "queued"),
            ("webchat", "EXTERNAL_recovery_stalled", "queued"),
        ]
