"""Checks of CachedSQLTrackerStore, run inside the Rasa env by tests/e2e/test_tracker_cache.py.

Usage: .venv-rasa/bin/python -m tests.e2e.tracker_cache_checks DATABASE_URL
Prints one JSON object: check name → "ok" or what went wrong. Each check compares the cached
store with Rasa's own SQLTrackerStore reading the same database, the reference for "correct".
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from coach.channels.erasure import erase_conversations
from coach.rasa_components.tracker_store import CachedSQLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))


class RecordingBroker(EventBroker):
    """An event broker that keeps what it was given."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


class CountingStore(CachedSQLTrackerStore):
    """The cached store, counting how often it rebuilt a tracker from the database."""

    loads = 0

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        self.loads += 1
        return await super()._retrieve(sender_id, fetch_events_from_all_sessions)


def store(url: str, **kwargs: Any) -> CountingStore:
    return CountingStore(domain=DOMAIN, host=url, **kwargs)


def turn(text: str, intent: str = "greet") -> list[Any]:
    """One user turn and the bot listening again, stamped now."""
    now = time.time()
    return [
        UserUttered(text, intent={"name": intent, "confidence": 1.0}, timestamp=now),
        ActionExecuted("action_listen", timestamp=now + 0.001),
    ]


def apply(tracker: Any, events: list[Any]) -> None:
    for event in events:
        tracker.update(event)


async def reference(url: str, sender: str) -> list[dict[str, Any]]:
    """The conversation as Rasa's own SQL store reads it back (latest session)."""
    tracker = await SQLTrackerStore(domain=DOMAIN, host=url).retrieve(sender)
    return [e.as_dict() for e in tracker.events] if tracker else []


async def started(cached: CountingStore, sender: str) -> Any:
    """A conversation with one turn, saved, then read back (so it is in memory)."""
    tracker = await cached.get_or_create_tracker(sender)
    apply(tracker, turn("hello"))
    await cached.save(tracker)
    return await cached.retrieve(sender)


async def served_from_memory_and_written_like_rasa(url: str) -> None:
    cached, sender = store(url), f"mem-{uuid.uuid4().hex[:8]}"
    tracker = await started(cached, sender)
    loads = cached.loads
    for n in range(5):
        again = await cached.retrieve(sender)
        assert again is tracker, "an unchanged conversation should come from memory"
        apply(again, turn(f"message {n}") + [SlotSet("mood", n)])
        await cached.save(again)
    assert cached.loads == loads, f"rebuilt {cached.loads - loads} times from the database"
    assert [e.as_dict() for e in tracker.events] == await reference(url, sender)


async def another_replica_write_is_read_not_overwritten(url: str) -> None:
    first, second, sender = store(url), store(url), f"two-{uuid.uuid4().hex[:8]}"
    await started(first, sender)
    for n in range(3):
        for replica in (first, second):
            tracker = await replica.retrieve(sender)
            apply(tracker, turn(f"{n} from {id(replica)}"))
            await replica.save(tracker)
    stored = await reference(url, sender)
    texts = [e["text"] for e in stored if e["event"] == "user"]
    assert len(texts) == 7 and len(set(texts)) == 7, texts  # every turn once, none lost
    for replica in (first, second):
        assert [e.as_dict() for e in (await replica.retrieve(sender)).events] == stored


async def unsaved_changes_are_never_served(url: str) -> None:
    cached, sender = store(url), f"half-{uuid.uuid4().hex[:8]}"
    tracker = await started(cached, sender)
    apply(tracker, turn("this message failed half-way"))  # no save
    again = await cached.retrieve(sender)
    assert again is not tracker
    assert [e.as_dict() for e in again.events] == await reference(url, sender)
    assert "this message failed half-way" not in json.dumps([e.as_dict() for e in again.events])


async def erased_conversation_is_gone_from_memory(url: str) -> None:
    cached, other_replica = store(url), store(url)
    # "Delete my data" here: the channels' erase_conversations, behind Rasa's store wrappers.
    sender = f"erase-{uuid.uuid4().hex[:8]}"
    await started(cached, sender)
    agent = SimpleNamespace(
        tracker_store=FailSafeTrackerStore(AwaitableTrackerStore(cached)),
        lock_store=InMemoryLockStore(),
    )
    assert await erase_conversations(agent, [sender]) == 1
    assert sender not in cached._cache, "an erased conversation must not stay in memory"
    assert await cached.retrieve(sender) is None
    # Erased by another replica, which cannot tell this one: the stamp check notices.
    sender = f"erase-{uuid.uuid4().hex[:8]}"
    await started(cached, sender)
    with other_replica.session_scope() as session:
        session.query(other_replica.SQLEvent).filter(
            other_replica.SQLEvent.sender_id == sender
        ).delete(synchronize_session=False)
        session.commit()
    assert await cached.retrieve(sender) is None
    assert sender not in cached._cache


async def new_session_is_read_back_as_rasa_does(url: str) -> None:
    cached, sender = store(url), f"session-{uuid.uuid4().hex[:8]}"
    tracker = await started(cached, sender)
    later = time.time() + 1
    apply(
        tracker,
        [
            ActionExecuted("action_session_start", timestamp=later),
            SessionStarted(timestamp=later + 0.001),
            ActionExecuted("action_listen", timestamp=later + 0.002),
        ],
    )
    await cached.save(tracker)
    apply(tracker, turn("first message of the new session"))
    await cached.save(tracker)
    again = await cached.retrieve(sender)
    assert again is not tracker, "a new session must be read back from the database"
    assert [e.as_dict() for e in again.events] == await reference(url, sender)
    assert not any(e.as_dict().get("text") == "hello" for e in again.events)


async def memory_is_bounded_and_can_be_off(url: str) -> None:
    small = store(url, cache_size=2)
    senders = [f"lru-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    for sender in senders:
        await started(small, sender)
    assert list(small._cache) == senders[1:], list(small._cache)
    off = store(url, cache_size=0)
    sender = f"off-{uuid.uuid4().hex[:8]}"
    tracker = await started(off, sender)
    assert await off.retrieve(sender) is not tracker and not off._cache


async def event_broker_gets_every_new_event_once(url: str) -> None:
    broker = RecordingBroker()
    cached = CountingStore(domain=DOMAIN, host=url, event_broker=broker)
    sender = f"broker-{uuid.uuid4().hex[:8]}"
    tracker = await started(cached, sender)
    for n in range(3):
        apply(tracker, turn(f"message {n}"))
        await cached.save(tracker)
        tracker = await cached.retrieve(sender)
    published = [{k: v for k, v in e.items() if k != "sender_id"} for e in broker.published]
    assert published == await reference(url, sender), (len(published), len(tracker.events))


CHECKS: list[Callable[[str], Awaitable[None]]] = [
    served_from_memory_and_written_like_rasa,
    another_replica_write_is_read_not_overwritten,
    unsaved_changes_are_never_served,
    erased_conversation_is_gone_from_memory,
    new_session_is_read_back_as_rasa_does,
    memory_is_bounded_and_can_be_off,
    event_broker_gets_every_new_event_once,
]


async def run_all(url: str) -> dict[str, str]:
    outcome = {}
    for check in CHECKS:
        try:
            await check(url)
            outcome[check.__name__] = "ok"
        except Exception:  # reported per check, the pytest side asserts each
            outcome[check.__name__] = traceback.format_exc(limit=4)
    return outcome


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run_all(sys.argv[1]))))
