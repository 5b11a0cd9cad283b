"""What a patient's message becomes before Rasa sees it (every channel, both directions of trust).

1. A message that is exactly one of the coach's own button payloads (`/start_checkin`, …) is
   passed on: that is how a button press arrives.
2. Whole-message keywords (coach/content/channels.yml) become the coach's commands:
   `START <code>` / `/start <code>` joins with an invite code, `STOP` (and the carriers' words on
   SMS/WhatsApp) pauses proactive messages, `START` resumes them, "delete my data" asks to
   delete, `HELP` is help. They never depend on the intent model.
3. Anything else is text. A leading `/` is removed, so `/EXTERNAL_clip_uploaded{…}` or any other
   `/intent` typed by a client can never reach Rasa as an intent: only a connector makes
   intent messages (a clip it stored, a code it parsed).
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from coach.config import REPO_DIR
from coach.content import load_content

INTENT_PREFIX = "/"
JOIN_INTENT = "EXTERNAL_join"
OPT_OUT_INTENT = "EXTERNAL_opt_out"
OPT_IN_INTENT = "EXTERNAL_opt_in"
CLIP_INTENT = "EXTERNAL_clip_uploaded"
CLIP_REJECTED_INTENT = "EXTERNAL_clip_rejected"
DELETE_REQUEST_INTENT = "request_data_deletion"
DELETE_CONFIRM_INTENT = "confirm_data_deletion"
HELP_INTENT = "help"
JOIN_WORD = "start"
CODE_ENTITY = "invite_code"
CLIP_ENTITY = "clip_id"
PROBLEM_ENTITY = "clip_problem"
_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation})


def intent_message(intent: str, entities: dict[str, Any] | None = None) -> str:
    """The message text Rasa reads as `intent` with `entities` (made by connectors only)."""
    return INTENT_PREFIX + intent + (json.dumps(entities) if entities else "")


@dataclass(frozen=True)
class Keywords:
    """Whole-message keywords, normalised (lower case, single spaces, no punctuation)."""

    opt_out: dict[str, frozenset[str]]
    opt_in: frozenset[str]
    delete_request: frozenset[str]
    delete_confirm: frozenset[str]
    help: frozenset[str]

    def opt_out_for(self, channel: str) -> frozenset[str]:
        return self.opt_out.get(channel, self.opt_out["default"])


def normalise(text: str) -> str:
    """Lower case, punctuation removed, single spaces."""
    return " ".join(text.lower().translate(_PUNCTUATION).split())


def _words(values: list[str]) -> frozenset[str]:
    return frozenset(normalise(v) for v in values)


@lru_cache(maxsize=1)
def load_keywords() -> Keywords:
    """The keywords from coach/content/channels.yml."""
    spec = load_content("channels")["keywords"]
    return Keywords(
        opt_out={channel: _words(words) for channel, words in spec["opt_out"].items()},
        opt_in=_words(spec["opt_in"]),
        delete_request=_words(spec["delete_request"]),
        delete_confirm=_words(spec["delete_confirm"]),
        help=_words(spec["help"]),
    )


@lru_cache(maxsize=4)
def button_payloads(domain_dir: Path = REPO_DIR / "domain") -> frozenset[str]:
    """Every intent payload (`/…`) of a button in the domain: what a client may send as one."""
    payloads: set[str] = set()
    for path in sorted(domain_dir.glob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses")
        for variants in (responses or {}).values():
            for variant in variants or []:
                for button in variant.get("buttons") or []:
                    payload = str(button.get("payload", ""))
                    if payload.startswith(INTENT_PREFIX):
                        payloads.add(payload)
    return frozenset(payloads)


@lru_cache(maxsize=1)
def _code_pattern() -> re.Pattern[str]:
    """A code as typed: `code_length` letters/digits, optionally split in two halves."""
    length = int(load_content("channels")["invites"]["code_length"])
    half = length // 2
    return re.compile(rf"^([A-Za-z0-9]{{{half}}})[- ]?([A-Za-z0-9]{{{length - half}}})$")


def invite_code(text: str) -> str | None:
    """The invite code in `text` (upper case, no separator, has a digit), None if not one."""
    match = _code_pattern().match(text.strip())
    if not match:
        return None
    code = (match.group(1) + match.group(2)).upper()
    return code if any(c.isdigit() for c in code) else None


def neutralise(text: str) -> str:
    """Text that Rasa cannot read as an intent: leading slashes removed."""
    while text.startswith(INTENT_PREFIX):
        text = text[len(INTENT_PREFIX) :].lstrip()
    return text


def command(text: str, channel: str, keywords: Keywords | None = None) -> str | None:
    """The intent message for a whole-message keyword, or None."""
    keywords = keywords or load_keywords()
    bare = text.strip().lstrip(INTENT_PREFIX)  # Telegram sends commands as "/start CODE"
    first, _, rest = bare.partition(" ")
    if first.lower() == JOIN_WORD and rest.strip():
        code = invite_code(rest)
        if code:
            return intent_message(JOIN_INTENT, {CODE_ENTITY: code})
    words = normalise(bare)
    if words in keywords.opt_out_for(channel):
        return intent_message(OPT_OUT_INTENT)
    if words in keywords.opt_in:
        return intent_message(OPT_IN_INTENT)
    if words in keywords.delete_request:
        return intent_message(DELETE_REQUEST_INTENT)
    if words in keywords.delete_confirm:
        return intent_message(DELETE_CONFIRM_INTENT)
    if words in keywords.help:
        return intent_message(HELP_INTENT)
    return None


def to_rasa_text(text: str | None, channel: str, allowed: frozenset[str] | None = None) -> str:
    """What Rasa receives for a client's message on `channel` (see the module docstring)."""
    raw = (text or "").strip()
    if raw in (allowed if allowed is not None else button_payloads()):
        return raw
    return command(raw, channel) or neutralise(raw)


def clip_message(clip_id: str) -> str:
    """The message a connector sends after storing a clip."""
    return intent_message(CLIP_INTENT, {CLIP_ENTITY: clip_id})


def clip_rejected_message(problem: str) -> str:
    """The message a connector sends when it could not accept a video (`problem` = a code)."""
    return intent_message(CLIP_REJECTED_INTENT, {PROBLEM_ENTITY: problem})
