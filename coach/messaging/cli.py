"""`coach token rest|webchat SENDER`: a signed token for a REST client or a web chat link."""

from __future__ import annotations

import argparse

from coach.channels.identity import REST, WEBCHAT, channel_of
from coach.channels.settings import channel_settings
from coach.channels.signing import REST_PURPOSE, WEBCHAT_PURPOSE, sign
from coach.content import load_content

SECONDS_PER_DAY = 86400


def rest_token(sender_id: str) -> str:
    """A REST channel token for `sender_id` (REST_TOKEN_TTL_DAYS)."""
    return sign(REST_PURPOSE, sender_id, channel_settings().rest_token_ttl_s)


def webchat_link(sender_id: str) -> str:
    """A web chat link that opens the conversation of `sender_id` (`webchat:…`)."""
    ttl = float(load_content("channels")["webchat"]["token_ttl_days"]) * SECONDS_PER_DAY
    token = sign(WEBCHAT_PURPOSE, sender_id, ttl)
    return f"{channel_settings().webchat_public_url}/chat#t={token}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coach token", description=__doc__)
    parser.add_argument("kind", choices=[REST, WEBCHAT])
    parser.add_argument("sender")
    args = parser.parse_args(argv)
    if channel_of(args.sender) != args.kind:
        parser.error(f"a {args.kind} sender id is needed (web chat ids start with 'webchat:')")
    print(rest_token(args.sender) if args.kind == REST else webchat_link(args.sender))
    return 0
