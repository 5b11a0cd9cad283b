"""Small bounded in-process memories for the connectors (Rasa env, one process).

`RecentIds` drops a provider's retried delivery (Twilio `MessageSid`, Telegram `update_id`).
`OfferedButtons` lets an SMS/WhatsApp patient answer a button question with its number or
title; `render_buttons` writes those buttons into the text and `join_bodies` a turn into as
few messages as a length limit allows. Both memories are per Rasa process:
behind several Rasa replicas, route each sender to one replica.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from coach.channels.inbound import normalise

DEFAULT_MAX_ITEMS = 50_000
DEFAULT_TTL_S = 24 * 3600.0


class RecentIds:
    """Ids seen in the last `ttl_s` seconds (at most `max_items`, oldest dropped first)."""

    def __init__(self, ttl_s: float = DEFAULT_TTL_S, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str, now: float | None = None) -> bool:
        """True the first time `key` is offered (then False until it expires)."""
        now = time.monotonic() if now is None else now
        while self._seen and (
            len(self._seen) >= self.max_items or next(iter(self._seen.values())) < now
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now + self.ttl_s
        return True


class OfferedButtons:
    """The buttons of the latest message each sender got on a text-only channel."""

    def __init__(self, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        self.max_items = max_items
        self._offered: OrderedDict[str, list[tuple[str, str]]] = OrderedDict()

    def offer(self, sender_id: str, buttons: list[dict] | None) -> None:
        """Remember the buttons just sent (none = the next reply is plain text)."""
        self._offered.pop(sender_id, None)
        if buttons:
            self._offered[sender_id] = [(str(b["title"]), str(b["payload"])) for b in buttons]
            while len(self._offered) > self.max_items:
                self._offered.popitem(last=False)

    def answer(self, sender_id: str, text: str) -> str:
        """The payload a reply picks (its number or its title), else the text unchanged."""
        offered = self._offered.get(sender_id) or []
        reply = text.strip()
        if reply.isdigit() and 1 <= int(reply) <= len(offered):
            return offered[int(reply) - 1][1]
        for title, payload in offered:
            if normalise(title) == normalise(reply):
                return payload
        return text


def render_buttons(text: str, buttons: list[dict[str, Any]] | None) -> str:
    """A text-only version of a message with buttons."""
    if not buttons:
        return text
    titles = [str(b.get("title", "")) for b in buttons]
    if all(str(b.get("payload")) == str(b.get("title")) for b in buttons):
        return f"{text}\n(Reply {', '.join(titles[:-1])} or {titles[-1]}.)"
    options = "\n".join(f"{n} - {title}" for n, title in enumerate(titles, start=1))
    return f"{text}\n{options}\n(Reply with the number.)"


def join_bodies(parts: list[str], limit: int) -> list[str]:
    """Parts joined by a blank line into bodies of at most `limit` characters."""
    bodies: list[str] = []
    for part in parts:
        for start in range(0, len(part), limit):
            piece = part[start : start + limit]
            if bodies and len(bodies[-1]) + 2 + len(piece) <= limit:
                bodies[-1] += "\n\n" + piece
            else:
                bodies.append(piece)
    return bodies
