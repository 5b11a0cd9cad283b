"""Due-check-in sweep: time zones, DST nights, Rasa up/down, claims (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

import pytest
from factories import patient
from sqlalchemy import select

from coach.config import get_settings
from coach.scheduler.settings import scheduler_settings
from coach.scheduler.sweep import _claim, find_due, run_sweep
from coach.storage.db import session_factory, transaction
from coach.storage.models import Patient

UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def due_names(url: str, now: datetime) -> set[str]:
    with session_factory(url)() as session:
        due, _ = find_due(session, now)
        names = {session.get(Patient, d.patient_id).display_name for d in due}  # type: ignore[union-attr]
    return names


def mark(url: str, name: str, day: date) -> None:
    with transaction(url) as session:
        row = session.scalar(select(Patient).where(Patient.display_name == name))
        assert row is not None
        row.last_prompted_on = day


def test_auckland_and_los_angeles_same_instant(db_url: str) -> None:
    with transaction(db_url) as s:
        patient(s, "Auckland", zone="Pacific/Auckland", at=time(9, 0))
        patient(s, "LosAngeles", zone="America/Los_Angeles", at=time(9, 0))
        patient(s, "London", zone="Europe/London", at=time(23, 0))
    # 20:30 UTC on 1 July: Auckland 08:30 on 2 July (NZST), Los Angeles 13:30 (PDT),
    # London 21:30 (BST).
    assert due_names(db_url, utc(2026, 7, 1, 20, 30)) == {"LosAngeles"}
    # 21:00 UTC: Auckland reaches 09:00 on 2 July.
    assert due_names(db_url, utc(2026, 7, 1, 21, 0)) == {"LosAngeles", "Auckland"}
    mark(db_url, "LosAngeles", date(2026, 7, 1))
    mark(db_url, "Auckland", date(2026, 7, 2))
    assert due_names(db_url, utc(2026, 7, 1, 21, 0)) == set()
    # Los Angeles' next local day begins at 07:00 UTC; its 09:00 is 16:00 UTC on 2 July.
    assert due_names(db_url, utc(2026, 7, 2, 15, 59)) == set()
    assert due_names(db_url, utc(2026, 7, 2, 16, 0)) == {"LosAngeles"}
    assert due_names(db_url, utc(2026, 7, 1, 21, 0)) == set()


def test_auckland_spring_forward_night(db_url: str) -> None:
    # NZ clocks go 02:00 NZST → 03:00 NZDT on 27 Sep 2026: 02:30 does not exist that night.
    with transaction(db_url) as s:
        patient(s, "Auckland", zone="Pacific/Auckland", at=time(2, 30))
    assert due_names(db_url, utc(2026, 9, 26, 13, 59)) == set()  # 01:59 NZST
    assert due_names(db_url, utc(2026, 9, 26, 14, 0)) == {"Auckland"}  # 03:00 NZDT
    mark(db_url, "Auckland", date(2026, 9, 27))
    assert due_names(db_url, utc(2026, 9, 26, 23, 0)) == set()  # later that day


def test_los_angeles_fall_back_night_prompts_once(db_url: str) -> None:
    # US clocks go 02:00 PDT → 01:00 PST on 1 Nov 2026: 01:30 happens twice.
    with transaction(db_url) as s:
        patient(s, "LosAngeles", zone="America/Los_Angeles", at=time(1, 30))
    assert due_names(db_url, utc(2026, 11, 1, 8, 29)) == set()  # 01:29 PDT
    assert due_names(db_url, utc(2026, 11, 1, 8, 30)) == {"LosAngeles"}  # first 01:30
    mark(db_url, "LosAngeles", date(2026, 11, 1))
    assert due_names(db_url, utc(2026, 11, 1, 9, 30)) == set()  # second 01:30 (PST)


def test_los_angeles_spring_forward_night(db_url: str) -> None:
    with transaction(db_url) as s:
        patient(s, "LosAngeles", zone="America/Los_Angeles", at=time(2, 30))
    assert due_names(db_url, utc(2026, 3, 8, 9, 59)) == set()  # 01:59 PST
    assert due_names(db_url, utc(2026, 3, 8, 10, 0)) == {"LosAngeles"}  # 03:00 PDT


def test_inactive_and_unreachable_patients_are_not_due(db_url: str) -> None:
    with transaction(db_url) as s:
        patient(s, "Inactive", active=False)
        patient(s, "NoChannel", channel=None)
        patient(s, "Due")
    assert due_names(db_url, utc(2026, 7, 1, 12, 0)) == {"Due"}


def _use_rasa(monkeypatch: pytest.MonkeyPatch, url: str, token: str = "") -> None:
    monkeypatch.setenv("RASA_URL", url)
    monkeypatch.setenv("RASA_TOKEN", token)
    get_settings.cache_clear()


def test_sweep_triggers_rasa_and_marks_only_on_success(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_rasa(monkeypatch, fake_http.url, token="rasa-token")
    with transaction(db_url) as s:
        patient(s, "Tele", zone="Europe/London", channel="telegram", sender="tg 42")
    factory = session_factory(db_url)
    now = utc(2026, 7, 1, 12, 0)  # a Wednesday

    fake_http.status = 500
    stats = run_sweep(factory, scheduler_settings(db_url), now=now)
    assert (stats.prompted, stats.failed) == (0, 1)
    with factory() as s:
        assert s.scalar(select(Patient.last_prompted_on)) is None

    fake_http.status = 200
    stats = run_sweep(factory, scheduler_settings(db_url), now=now)
    assert (stats.prompted, stats.failed) == (1, 0)
    with factory() as s:
        assert s.scalar(select(Patient.last_prompted_on)) == date(2026, 7, 1)
    request = fake_http.requests[-1]
    assert request["path"] == "/conversations/tg%2042/trigger_intent"
    assert request["query"] == {"output_channel": ["telegram"], "token": ["rasa-token"]}
    assert json.loads(request["body"]) == {"name": "EXTERNAL_daily_checkin", "entities": {}}

    assert run_sweep(factory, scheduler_settings(db_url), now=now).due == 0
    assert len(fake_http.requests) == 2


def test_rasa_down_is_retried_next_sweep(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import free_port

    _use_rasa(monkeypatch, f"http://127.0.0.1:{free_port()}")
    with transaction(db_url) as s:
        patient(s, "Ada")
    factory = session_factory(db_url)
    now = utc(2026, 7, 1, 12, 0)
    for _ in range(2):
        stats = run_sweep(factory, scheduler_settings(db_url), now=now)
        assert (stats.due, stats.prompted, stats.failed) == (1, 0, 1)
    with factory() as s:
        row = s.scalars(select(Patient)).one()
        assert row.last_prompted_on is None and row.prompt_claimed_until is None


def test_weekly_saq_on_the_configured_local_weekday(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_rasa(monkeypatch, fake_http.url)
    with transaction(db_url) as s:
        patient(s, "Auckland", zone="Pacific/Auckland", at=time(9, 0))
    # Saturday 21:00 UTC is Sunday 09:00 in Auckland (NZST): the SAQ day.
    run_sweep(session_factory(db_url), scheduler_settings(db_url), now=utc(2026, 7, 4, 21, 0))
    assert json.loads(fake_http.requests[0]["body"])["name"] == "EXTERNAL_weekly_saq"


def test_clip_request_on_clip_day_and_check_in_otherwise(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_rasa(monkeypatch, fake_http.url)
    with transaction(db_url) as s:
        patient(s, "London", zone="Europe/London", at=time(9, 0), clip_consent_version="test")
    factory, settings = session_factory(db_url), scheduler_settings(db_url)
    run_sweep(factory, settings, now=utc(2026, 7, 8, 8, 30))  # Wednesday 09:30 BST
    run_sweep(factory, settings, now=utc(2026, 7, 9, 8, 30))  # Thursday 09:30 BST: clip day
    names = [json.loads(r["body"])["name"] for r in fake_http.requests]
    assert names == ["EXTERNAL_daily_checkin", "EXTERNAL_weekly_clip"]


def test_claimed_patient_is_not_prompted_by_a_second_scheduler(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_rasa(monkeypatch, fake_http.url)
    with transaction(db_url) as s:
        patient(s, "Ada")
        patient(s, "Bob")
    factory = session_factory(db_url)
    now = utc(2026, 7, 1, 12, 0)
    with factory() as s:
        due, clocks = find_due(s, now)
    first = _claim(factory, due[:1], clocks, now, lease_s=300)  # another scheduler, mid-prompt
    assert len(first) == 1
    stats = run_sweep(factory, scheduler_settings(db_url), now=now)
    assert (stats.due, stats.prompted) == (1, 1)
    assert len(fake_http.requests) == 1


def test_two_schedulers_sweeping_at_the_same_instant_prompt_each_patient_once(
    db_url: str, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    from collections import Counter

    _use_rasa(monkeypatch, fake_http.url)
    fake_http.delay_s = 0.01  # each trigger takes a moment: the sweeps really overlap
    patients = 24
    with transaction(db_url) as s:
        for n in range(patients):
            patient(s, f"P{n}")
    factory = session_factory(db_url)
    settings = scheduler_settings(db_url)
    now = utc(2026, 7, 1, 12, 0)
    barrier = threading.Barrier(2)
    prompted: list[int] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            barrier.wait(timeout=30)
            prompted.append(run_sweep(factory, settings, now=now).prompted)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sum(prompted) == patients
    triggered = Counter(r["path"] for r in fake_http.requests)
    assert len(triggered) == patients and max(triggered.values()) == 1
