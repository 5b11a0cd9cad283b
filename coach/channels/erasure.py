"""Erase conversations from Rasa's tracker store (after "delete my data"; Rasa env)."""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore

log = logging.getLogger(__name__)


def _innermost(store: Any) -> Any:
    """The real store inside Rasa's wrappers (AwaitableTrackerStore, FailSafeTrackerStore)."""
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


async def erase_conversations(agent: Any, sender_ids: list[str]) -> int:
    """Delete every event of these conversations, each under its conversation lock; how many
    conversations were erased (0 for a tracker store that cannot delete)."""
    store = _innermost(agent.tracker_store)
    erased = 0
    for sender_id in sender_ids:
        async with agent.lock_store.lock(sender_id):
            if hasattr(store, "forget"):
                store.forget(sender_id)  # CachedSQLTrackerStore: not in memory either
            if isinstance(store, SQLTrackerStore):
                with store.session_scope() as session:
                    session.query(store.SQLEvent).filter(
                        store.SQLEvent.sender_id == sender_id
                    ).delete(synchronize_session=False)
                    session.commit()
            elif isinstance(store, InMemoryTrackerStore):
                store.store.pop(sender_id, None)
            else:
                log.error("erasing is not implemented for %s", type(store).__name__)
                continue
        erased += 1
    return erased
