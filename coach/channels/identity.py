"""Channel names and sender ids.

Every connector namespaces the senders it creates as `<channel>:<external id>` (Twilio's own
`whatsapp:+44…` form, `sms:+44…`, `telegram:<chat id>`, `webchat:<random id>`), so the channel
of a conversation is the connector's, never the client's: a sender id on the REST channel may
not use these prefixes. One (channel, sender id) maps to at most one patient.
"""

from __future__ import annotations

REST = "rest"
WEBCHAT = "webchat"
WHATSAPP = "whatsapp"
SMS = "sms"
TELEGRAM = "telegram"

NAMESPACED = frozenset({WEBCHAT, WHATSAPP, SMS, TELEGRAM})
# Channels on which the patient can receive a proactive prompt (REST is request/response only).
PROMPTABLE = NAMESPACED
# Channels that carry no video (MMS is US/Canada only): their patients get an upload link.
UPLOAD_LINK_CHANNELS = frozenset({SMS})


def make_sender_id(channel: str, external_id: str) -> str:
    """The conversation id a connector uses for `external_id`."""
    return f"{channel}:{external_id}"


def channel_of(sender_id: str) -> str:
    """The channel that owns `sender_id` (un-prefixed ids belong to the REST channel)."""
    prefix, sep, _ = sender_id.partition(":")
    return prefix if sep and prefix in NAMESPACED else REST


def external_id(sender_id: str) -> str:
    """The provider's id inside a namespaced sender id (the id itself for REST)."""
    return sender_id.partition(":")[2] if channel_of(sender_id) != REST else sender_id
