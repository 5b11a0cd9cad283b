"""Red-flag advice when the bot could not answer (action server down); used on the Rasa side.

The rules run here too (spaCy 3.4 + negspacy in the Rasa env), so a red flag still gets the
advice from the domain, and its escalation is written durably to the spool
(`coach.escalation.spool`), which the scheduler replays into the database and delivers.
The same message id is used as the action server would use, so a replay never duplicates an
escalation the action server did manage to write.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from coach.config import REPO_DIR
from coach.content import load_content
from coach.escalation.spool import spool_escalation
from coach.nlp.language import english_only_reply
from coach.triage.red_flags import detect_red_flags

log = logging.getLogger(__name__)
SAFETY_DOMAIN = REPO_DIR / "domain" / "safety.yml"


@lru_cache(maxsize=2)
def _responses(domain_file: Path = SAFETY_DOMAIN) -> dict[str, Any]:
    with open(domain_file, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["responses"]


def offline_red_flag_replies(
    text: str, channel: str | None, sender_id: str, message_id: str
) -> list[str]:
    """Advice texts for a red flag in `text` (spooling its escalation); [] when there is none."""
    flags = detect_red_flags(text)
    if not flags:
        return []
    kinds = [f.kind for f in flags]
    spool_escalation(
        {
            "kinds": kinds,
            "text": text[:1000],
            "channel": channel,
            "sender_id": sender_id,
            "message_id": message_id,
            "matched": [f.evidence for f in flags],
        }
    )
    log.warning("red flag answered from the Rasa side and spooled (%s)", ",".join(kinds))
    locales = load_content("locales")
    numbers = locales["locales"][locales["default"]]
    who = load_content("safety")["who_was_told"]["saved"]
    template = _responses()[f"utter_red_flag_{kinds[0]}"][0]["text"]
    replies = [template.format(who_was_told=who, **numbers)]
    language = next((f.language for f in flags if f.language != "en"), None)
    if language:
        replies.append(english_only_reply(language).format(**numbers))
    return replies
