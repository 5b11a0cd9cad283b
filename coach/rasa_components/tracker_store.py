"""Rasa's SQL tracker store with the conversations it holds kept in memory, checked per message.

Rasa's `SQLTrackerStore` rebuilds a conversation from its JSON events on every message and counts
them again before every save; at the end of a check-in that is ~5 ms of the Rasa server's CPU per
message. This store keeps the trackers it has read or written (least recently used first out,
`TRACKER_CACHE_SIZE`, 0 turns it off) and serves one from memory only when the database still
holds exactly what it saved: a one-row query of the conversation's event count and highest id
(its "stamp") must match, and the tracker must not have changed since. Anything else — another
Rasa replica wrote to the conversation, a message failed half-way, the conversation was erased —
reloads from the database as Rasa would. A new conversation session is never served from memory
(Rasa reloads only the latest session). The database stays the only record: every event is
written before `save` returns, exactly as in Rasa's store.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

log = logging.getLogger(__name__)

CACHE_SIZE_VARIABLE = "TRACKER_CACHE_SIZE"
DEFAULT_CACHE_SIZE = 1000

Stamp = tuple[int, int | None]  # (events stored for the conversation, highest event id)


@dataclass
class _Cached:
    tracker: DialogueStateTracker
    stamp: Stamp
    length: int  # len(tracker.events) when it matched `stamp`


def cache_size_from_environment(configured: Any = None) -> int:
    """The configured size (endpoints.yml `cache_size`), else TRACKER_CACHE_SIZE, else 1000."""
    value = configured if configured not in (None, "") else os.environ.get(CACHE_SIZE_VARIABLE)
    if value in (None, ""):
        return DEFAULT_CACHE_SIZE
    size = int(value)
    if size < 0:
        raise ValueError(f"{CACHE_SIZE_VARIABLE} must be 0 or more, not {size}")
    return size


class CachedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` serving unchanged conversations from memory (see the module docstring)."""

    def __init__(self, *args: Any, cache_size: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_size = cache_size_from_environment(cache_size)
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        events = self.SQLEvent.__table__
        self._stamp_query = sa.select(sa.func.count(events.c.id), sa.func.max(events.c.id)).where(
            events.c.sender_id == sa.bindparam("sender_id")
        )

    def _stamp(self, sender_id: str) -> Stamp:
        with self.engine.connect() as connection:
            count, highest = connection.execute(self._stamp_query, {"sender_id": sender_id}).one()
        return int(count), highest

    def _unchanged_in_database(self, sender_id: str) -> _Cached | None:
        """The cached conversation if the database still holds exactly what it was saved as."""
        cached = self._cache.get(sender_id)
        if cached is not None and self._stamp(sender_id) != cached.stamp:
            del self._cache[sender_id]
            return None
        return cached

    def _remember(self, tracker: DialogueStateTracker, stamp: Stamp) -> None:
        if self.cache_size == 0:
            return
        self._cache[tracker.sender_id] = _Cached(tracker, stamp, len(tracker.events))
        self._cache.move_to_end(tracker.sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        """Drop a conversation from memory (it is being erased, or starts a new session)."""
        self._cache.pop(sender_id, None)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker: from memory when unchanged, else from the database."""
        cached = self._cache.get(sender_id)
        if cached is not None and len(cached.tracker.events) == cached.length:
            if self._unchanged_in_database(sender_id) is not None:
                self._cache.move_to_end(sender_id)
                return cached.tracker
        self.forget(sender_id)  # e.g. a message that failed half-way changed it unsaved
        stamp = self._stamp(sender_id) if self.cache_size else (0, None)
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._remember(tracker, stamp)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the tracker's new events, all of them before returning.

        The tracker served from memory knows how many of its events are stored; any other is
        counted in the database as Rasa does, and is not remembered (the next message reads it
        back, exactly as Rasa would see it).
        """
        sender_id = tracker.sender_id
        cached = self._unchanged_in_database(sender_id)
        known = cached is not None and cached.tracker is tracker
        with self.session_scope() as session:
            if known:
                new_events = list(tracker.events)[cached.length :]
            else:
                self.forget(sender_id)
                new_events = list(self._additional_events(session, tracker))
            if self.event_broker:
                await self._stream_new_events(self.event_broker, new_events, sender_id)
            rows = [self._row(sender_id, event) for event in new_events]
            session.add_all(rows)
            session.flush()
            highest = rows[-1].id if rows else None
            session.commit()
        if not known:
            return
        if any(isinstance(event, SessionStarted) for event in new_events):
            self.forget(sender_id)  # Rasa reads only the latest session back
            return
        count, previous_highest = cached.stamp
        self._remember(tracker, (count + len(rows), highest or previous_highest))

    def _row(self, sender_id: str, event: Any) -> Any:
        """One events-table row, exactly as `SQLTrackerStore.save` writes it."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )
