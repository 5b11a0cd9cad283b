"""End to end as docker-compose deploys it: the coach's database and Rasa's SQL tracker store on
PostgreSQL, Rasa's lock store on Redis (Debian's redis-server), real Rasa and action servers.

Messages for one conversation sent all at once are handled one after the other (the Redis lock),
and the whole conversation is in the PostgreSQL tracker store.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg2
import pytest
from sqlalchemy import select

from coach.storage.db import transaction
from coach.storage.migrate import upgrade
from coach.storage.models import CheckIn, Escalation, Notification
from tests import conftest_postgres as pg
from tests import conftest_redis as rd
from tests.conftest import add_patient
from tests.e2e.conftest import domain_text
from tests.e2e.stack import MODEL, RasaStack, coach_env, free_port, rest_headers
from tests.e2e.test_checkin_e2e import FULL_CHECKIN

TRACKER_DB = "rasa_tracker"
CONCURRENT_MESSAGES = 5
ENDPOINTS = """\
action_endpoint:
  url: http://127.0.0.1:{actions_port}/webhook
tracker_store:
  type: coach.rasa_components.tracker_store.CachedSQLTrackerStore
  dialect: postgresql
  url: 127.0.0.1
  port: {pg_port}
  db: {tracker_db}
  username: postgres
lock_store:
  type: redis
  url: 127.0.0.1
  port: {redis_port}
  db: 1
  key_prefix: coach
"""


@dataclass
class PostgresRedisStack(RasaStack):
    """The stack, plus where its state lives."""

    database_url: str = ""
    pg_port: int = 0
    redis: rd.RedisServer | None = None


@pytest.fixture(scope="module")
def redis() -> Iterator[rd.RedisServer]:
    reason = rd.missing_reason()
    if reason:
        if pg.required():
            pytest.fail(f"Redis is required here (CI): {reason}")
        pytest.skip(reason)
    with rd.redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    pg_server: pg.PostgresServer, redis: rd.RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PostgresRedisStack]:
    if not MODEL.exists():
        pytest.fail("models/coach.tar.gz is missing: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("e2e-pg-redis")
    database_url = pg_server.create_database(f"coach_{uuid.uuid4().hex[:8]}")
    upgrade(database_url)
    pg_server.create_database(TRACKER_DB)
    actions_port = free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        ENDPOINTS.format(
            actions_port=actions_port,
            pg_port=pg_server.port,
            tracker_db=TRACKER_DB,
            redis_port=redis.port,
        )
    )
    env = coach_env(workdir, database_url, actions_port)
    env["CLINIC_DUTY_EMAIL"] = "duty@clinic.example"
    servers = PostgresRedisStack(
        workdir=workdir,
        env=env,
        actions_port=actions_port,
        database_url=database_url,
        pg_port=pg_server.port,
        redis=redis,
    )
    try:
        servers.start_actions()
        servers.start_rasa(endpoints=str(endpoints))
        yield servers
    finally:
        servers.stop()


def _tracker_rows(port: int, sender: str) -> list[tuple[str, str | None]]:
    """(type_name, action_name) of the sender's events in Rasa's PostgreSQL tracker store."""
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=TRACKER_DB)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT type_name, action_name FROM events WHERE sender_id = %s ORDER BY id",
                (sender,),
            )
            return list(cursor.fetchall())
    finally:
        conn.close()


def _lock_calls(redis: rd.RedisServer) -> int:
    """How many SET commands Redis has served (Rasa's lock store writes a lock per message)."""
    found = re.search(r"cmdstat_set:calls=(\d+)", redis.command("INFO", "commandstats"))
    return int(found.group(1)) if found else 0


def test_checkin_on_postgres_tracker_store_and_redis_locks(stack: PostgresRedisStack) -> None:
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    clinic = add_patient(stack.database_url, sender)
    locks_before = _lock_calls(stack.redis)  # type: ignore[arg-type]
    for text, expected in FULL_CHECKIN:
        replies = stack.texts(sender, text)
        if expected:
            assert domain_text(expected) in replies, (text, replies)
    summary = stack.texts(sender, "6")
    assert "mood 6" in summary[-1]  # the answers, read back before saving
    assert stack.texts(sender, "yes")[-1] == domain_text("utter_checkin_thanks")
    with transaction(stack.database_url) as session:
        [checkin] = session.scalars(
            select(CheckIn).where(CheckIn.patient_id == clinic.patient_id)
        ).all()
        assert checkin.mood == 6
    events = _tracker_rows(stack.pg_port, sender)
    user_turns = [e for e in events if e[0] == "user"]
    assert len(user_turns) == len(FULL_CHECKIN) + 2
    assert _lock_calls(stack.redis) - locks_before >= len(FULL_CHECKIN) + 2  # type: ignore[arg-type]


def test_concurrent_messages_of_one_conversation_are_serialised(
    stack: PostgresRedisStack,
) -> None:
    sender = f"burst-{uuid.uuid4().hex[:8]}"
    add_patient(stack.database_url, sender)
    url = f"{stack.rasa_url}/webhooks/rest/webhook"

    async def burst() -> list[int]:
        async with httpx.AsyncClient(timeout=120) as client:
            replies = await asyncio.gather(
                *(
                    client.post(
                        url,
                        json={"sender": sender, "message": f"hello {n}"},
                        headers=rest_headers(sender),  # the REST channel's token
                    )
                    for n in range(CONCURRENT_MESSAGES)
                )
            )
        return [r.status_code for r in replies]

    assert asyncio.run(burst()) == [200] * CONCURRENT_MESSAGES
    events = _tracker_rows(stack.pg_port, sender)
    turns = [i for i, (kind, _) in enumerate(events) if kind == "user"]
    assert len(turns) == CONCURRENT_MESSAGES
    # Under the lock each message's turn ends (the bot listens again) before the next begins.
    for turn in turns[1:]:
        assert events[turn - 1] == ("action", "action_listen"), events[turn - 3 : turn + 1]


def test_unknown_sender_red_flag_reaches_the_duty_inbox(stack: PostgresRedisStack) -> None:
    sender = f"stranger-{uuid.uuid4().hex[:8]}"
    replies = stack.texts(sender, "my left arm is numb and I can't speak properly")
    assert "999" in replies[0]
    with transaction(stack.database_url) as session:
        escalations = [
            e
            for e in session.scalars(select(Escalation))
            if (e.evidence or {}).get("sender_id") == sender
        ]
        assert [e.level for e in escalations] == ["emergency"]
        notified = session.scalars(
            select(Notification.address).where(Notification.escalation_id == escalations[0].id)
        ).all()
    assert notified == ["duty@clinic.example"]
