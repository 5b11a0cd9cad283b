"""Portal page times: the patient list for 2,000 patients with a year of daily check-ins each,
and one patient's page, on SQLite and on PostgreSQL. Goal: p95 ≤ 300 ms server time.

Each request goes through the whole app in-process (FastAPI TestClient: routing, session and
CSRF checks, scoped queries, audit row, Jinja rendering); the time measured is the request's
wall time in this process, so it includes the ASGI test transport but no network.
Usage: .venv/bin/python bench/portal_pages.py [--patients 2000] [--days 365] [--repeats 30]
       [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from _common import REPO, databases, percentile, write_result
from sqlalchemy import insert

from coach.portal.accounts import create_user
from coach.storage.db import transaction
from coach.storage.models import (
    CheckIn,
    ClipAnalysis,
    Escalation,
    Patient,
    QuestionnaireResponse,
    SymptomReport,
    Therapist,
)

UTC = timezone.utc
GOAL_MS = 300
BATCH = 20_000
PASSWORD = "bench password 123"
CLIP_EVERY_DAYS = 30
WORDS = [
    "a bit tight around the mouth",
    "my eye waters when I eat",
    "about the same",
    "left eye narrows when I smile",
    "better today",
    "no twitching today",
]
DEMO_CLIPS = REPO / "coach" / "content" / "demo_clips"


def _rows(batch: list[dict[str, Any]], model: Any, session: Any) -> None:
    if batch:
        session.execute(insert(model), batch)
        batch.clear()


def populate(url: str, patients: int, days: int, seed: int = 1) -> dict[str, int]:
    """One therapist with `patients` patients, each with `days` of history."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    full = json.loads((DEMO_CLIPS / "synk.json").read_text())
    light = {k: v for k, v in full.items() if k != "series"}
    with transaction(url) as s:
        therapist = Therapist(name="Bench Therapist", email="bench@clinic.test")
        s.add(therapist)
        s.flush()
        create_user(s, "bench@clinic.test", PASSWORD, "therapist", therapist_id=therapist.id)
        s.execute(
            insert(Patient),
            [
                {
                    "display_name": f"Patient {n:05d}",
                    "timezone": "Europe/London",
                    "checkin_time": datetime(2026, 1, 1, 9, 0).time(),
                    "therapist_id": therapist.id,
                    "affected_side": rng.choice(["left", "right"]),
                    "active": True,
                    "eye_closure_incomplete": False,
                    "locale": "en-GB",
                    "plan_exercises": [],
                }
                for n in range(patients)
            ],
        )
        ids = [
            pid
            for (pid,) in s.execute(
                Patient.__table__.select().with_only_columns(Patient.id).order_by(Patient.id)
            )
        ]
        therapist_id = therapist.id
    target = ids[len(ids) // 2]
    started = time.monotonic()
    checkins: list[dict[str, Any]] = []
    saqs: list[dict[str, Any]] = []
    clips: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    for pid in ids:
        previous = None
        for day in range(days, 0, -1):
            at = now - timedelta(days=day, minutes=rng.randint(0, 600))
            sessions = rng.choice([0, 1, 2])
            checkins.append(
                {
                    "patient_id": pid,
                    "submission_key": f"b:{pid}:{day}",
                    "completed_at": at,
                    "face_feeling": rng.choice(WORDS),
                    "sessions_done": sessions,
                    "minutes_practised": sessions * 10,
                    "mirror_used": True,
                    "mood": rng.randint(3, 9),
                }
            )
            if day % 7 == 0:
                score = round(rng.uniform(25, 60), 1)
                change = None if previous is None else round(score - previous, 1)
                saqs.append(
                    {
                        "patient_id": pid,
                        "submission_key": f"bs:{pid}:{day}",
                        "instrument": "SAQ",
                        "answered_at": at,
                        "items": [2] * 9,
                        "score": score,
                        "change_from_previous": change,
                        "real_change": change is not None and abs(change) >= 13,
                    }
                )
                previous = score
            if day % CLIP_EVERY_DAYS == 0:
                clips.append(
                    {
                        "patient_id": pid,
                        "clip_id": f"{pid:08x}{day:056x}",
                        "created_at": at,
                        "status": "ok",
                        "is_baseline": day == days - days % CLIP_EVERY_DAYS,
                        "needs_review": rng.random() < 0.1,
                        "report": full if pid == target else light,
                    }
                )
        if rng.random() < 0.1:
            alerts.append(
                {
                    "patient_id": pid,
                    "kind": "eye_at_risk",
                    "level": "urgent",
                    "status": "open",
                    "idempotency_key": f"ba:{pid}",
                    "evidence": {"text": "my eye hurts"},
                    "created_at": now - timedelta(hours=rng.randint(1, 48)),
                    "ladder_step": 0,
                }
            )
        if len(checkins) >= BATCH:
            with transaction(url) as s:
                _rows(checkins, CheckIn, s)
                _rows(saqs, QuestionnaireResponse, s)
                _rows(clips, ClipAnalysis, s)
                _rows(alerts, Escalation, s)
    with transaction(url) as s:
        _rows(checkins, CheckIn, s)
        _rows(saqs, QuestionnaireResponse, s)
        _rows(clips, ClipAnalysis, s)
        _rows(alerts, Escalation, s)
        recent = (
            s.execute(
                CheckIn.__table__.select()
                .with_only_columns(CheckIn.id)
                .where(CheckIn.patient_id == target)
                .order_by(CheckIn.id.desc())
                .limit(5)
            )
            .scalars()
            .all()
        )
        s.execute(
            insert(SymptomReport),
            [
                {
                    "checkin_id": cid,
                    "patient_id": target,
                    "symptom": "tearing",
                    "side": "left",
                    "trigger": "eating",
                    "negated": False,
                    "text": "eye waters when eating",
                }
                for cid in recent
            ],
        )
    print(f"  populated {len(ids)} patients x {days} days in {time.monotonic() - started:.0f} s")
    return {"target": target, "therapist": therapist_id}


def measure(url: str, target: int, repeats: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from coach.portal.app import create_app

    client = TestClient(create_app(url), base_url="https://testserver")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    login = client.post(
        "/login",
        data={"email": "bench@clinic.test", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert login.status_code == 303, login.text
    pages = {
        "patient_list": "/patients",
        "patient_list_sorted_by_last_checkin": "/patients?sort=last_checkin&dir=desc",
        "patient_list_sorted_by_adherence_page_20": "/patients?sort=adherence&dir=asc&page=20",
        "patient_list_search": "/patients?q=patient%2001",
        "patient_page": f"/patients/{target}",
        "alert_inbox": "/inbox",
    }
    out: dict[str, Any] = {}
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        out[name] = {
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1),
            "bytes": len(response.content),
        }
        print(f"  {name}: p50 {out[name]['p50_ms']} ms, p95 {out[name]['p95_ms']} ms")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "patients": args.patients,
        "days_of_checkins": args.days,
        "repeats": args.repeats,
        "goal_p95_ms": GOAL_MS,
        "measured": "in-process request time (FastAPI TestClient), page size 50",
    }
    with databases(with_pg=not args.no_postgres) as urls:
        for name, url in urls.items():
            print(f"{name}:")
            ids = populate(url, args.patients, args.days)
            results[name] = measure(url, ids["target"], args.repeats)
            results[name]["meets_goal"] = all(
                v["p95_ms"] <= GOAL_MS for v in results[name].values() if isinstance(v, dict)
            )
    write_result("portal_pages", results)


if __name__ == "__main__":
    main()
