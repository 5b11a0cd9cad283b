"""A fake Twilio: the Messages API, media downloads, inbound webhooks and status callbacks,
with Twilio's documented parameters and real `X-Twilio-Signature`s.

- POST /2010-04-01/Accounts/{AccountSid}/Messages.json (basic auth AccountSid:AuthToken,
  form From/To/Body or ContentSid/ContentVariables, StatusCallback) -> 201 message resource.
  A message to a number in `refuse` gets Twilio's 400 error resource instead.
- GET /2010-04-01/Accounts/{AccountSid}/Messages/{MM}/Media/{ME} (basic auth) -> 307 to
  /cdn/{ME} (like Twilio's redirect to its media CDN), which serves the bytes unauthenticated.
- `inbound(url, …)` posts a signed message webhook the way Twilio does; `status_callback`
  posts a signed delivery report to a message's StatusCallback.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

import httpx
from twilio.request_validator import RequestValidator

from tests.fakes.http import FakeServer, Reply, wait_for

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
WHATSAPP_NUMBER = "whatsapp:+14155238886"
SMS_NUMBER = "+15005550006"
MEDIA_CONTENT_TYPE = "video/mp4"


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def inbound_request(
    url: str,
    from_: str,
    body: str = "",
    *,
    to: str | None = None,
    media: list[tuple[str, str]] | None = None,
    extra: dict[str, str] | None = None,
    message_sid: str | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """The form parameters and signed headers of a message webhook, as Twilio sends them."""
    whatsapp = from_.startswith("whatsapp:")
    message_sid = message_sid or sid("SM")
    params = {
        "MessageSid": message_sid,
        "SmsMessageSid": message_sid,
        "AccountSid": ACCOUNT_SID,
        "MessagingServiceSid": "",
        "From": from_,
        "To": to or (WHATSAPP_NUMBER if whatsapp else SMS_NUMBER),
        "Body": body,
        "NumMedia": str(len(media or [])),
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    if whatsapp:
        params["ProfileName"] = "Patient"
        params["WaId"] = from_.removeprefix("whatsapp:+")
    for index, (media_url, content_type) in enumerate(media or []):
        params[f"MediaUrl{index}"] = media_url
        params[f"MediaContentType{index}"] = content_type
    params.update(extra or {})
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    return params, {"X-Twilio-Signature": signature}


class FakeTwilio(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.validator = RequestValidator(AUTH_TOKEN)
        self.sent: list[dict[str, str]] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.refuse: set[str] = set()
        self.send_lock = threading.Lock()
        self.arrived = threading.Condition(self.send_lock)

    # --- what the coach calls ------------------------------------------------------------
    def _authorised(self, request: dict[str, Any]) -> bool:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return request["headers"].get("authorization") == expected

    def handle(self, request: dict[str, Any]) -> Reply:
        path = request["path"]
        if path.startswith("/_test/"):
            return self._test_api(request)
        messages_path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        if request["method"] == "POST" and path == messages_path:
            if not self._authorised(request):
                return Reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return self._create_message(dict(parse_qsl(request["body"].decode())))
        if path.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"):
            if not self._authorised(request):
                return Reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            media_sid = path.rsplit("/", 1)[-1]
            if media_sid not in self.media:
                return Reply(404, {"code": 20404, "status": 404})
            return Reply(307, b"", {"Location": f"{self.url}/cdn/{media_sid}"})
        if path.startswith("/cdn/"):
            found = self.media.get(path.rsplit("/", 1)[-1])
            if found is None:
                return Reply(404, b"")
            reply = Reply(200, found[0])
            reply.content_type = found[1]
            return reply
        return Reply(404, {"code": 20404, "status": 404})

    def _create_message(self, form: dict[str, str]) -> Reply:
        if form.get("To") in self.refuse:
            return Reply(
                400,
                {
                    "code": 21610,
                    "message": "Attempt to send to unsubscribed recipient",
                    "more_info": "https://www.twilio.com/docs/errors/21610",
                    "status": 400,
                },
            )
        message_sid = sid("SM")
        record = {**form, "sid": message_sid, "received_at": time.monotonic()}
        with self.arrived:
            self.sent.append(record)
            self.arrived.notify_all()
        return Reply(
            201,
            {
                "sid": message_sid,
                "account_sid": ACCOUNT_SID,
                "from": form.get("From"),
                "to": form.get("To"),
                "body": form.get("Body", ""),
                "status": "queued",
                "num_media": "0",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": formatdate(usegmt=True),
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message_sid}.json",
            },
        )

    def _test_api(self, request: dict[str, Any]) -> Reply:
        """For a benchmark driving this fake in another process: host media, await a message."""
        if request["path"] == "/_test/media":
            content_type = request["headers"].get("content-type", MEDIA_CONTENT_TYPE)
            return Reply(200, {"url": self.add_media(request["body"], content_type)})
        if request["path"] == "/_test/wait":
            query = request["query"]
            try:
                found = self.wait_for_text(
                    query["to"], query.get("text", ""), int(query["after"]), float(query["timeout"])
                )
            except AssertionError as exc:
                return Reply(504, {"error": str(exc)})
            return Reply(200, found)
        if request["path"] == "/_test/count":
            return Reply(200, {"count": len(self.messages_to(request["query"]["to"]))})
        return Reply(404, {})

    # --- what tests do ---------------------------------------------------------------------
    def add_media(self, data: bytes, content_type: str = MEDIA_CONTENT_TYPE) -> str:
        """Host a media file; its MediaUrl (as Twilio gives it in a webhook)."""
        media_sid = sid("ME")
        self.media[media_sid] = (data, content_type)
        return (
            f"{self.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid('MM')}/Media/{media_sid}"
        )

    def sign(self, url: str, params: dict[str, str]) -> str:
        return self.validator.compute_signature(url, params)

    def inbound(
        self,
        url: str,
        from_: str,
        body: str = "",
        *,
        signature: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """POST a message webhook as Twilio does (form-encoded, signed)."""
        params, headers = inbound_request(url, from_, body, **kwargs)
        if signature is not None:
            headers = {"X-Twilio-Signature": signature} if signature else {}
        return httpx.post(url, data=params, headers=headers, timeout=30)

    def status_callback(
        self, message: dict[str, str], status: str, error_code: str = ""
    ) -> httpx.Response:
        """POST a delivery report for a sent message to its StatusCallback."""
        url = message["StatusCallback"]
        params = {
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "AccountSid": ACCOUNT_SID,
            "From": message.get("From", ""),
            "To": message.get("To", ""),
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        headers = {"X-Twilio-Signature": self.sign(url, params)}
        return httpx.post(url, data=params, headers=headers, timeout=30)

    def messages_to(self, to: str) -> list[dict[str, str]]:
        with self.send_lock:
            return [m for m in self.sent if m.get("To") == to]

    def wait_for_messages(self, to: str, count: int, timeout_s: float = 120) -> list[dict]:
        """The first `count` messages sent to `to` (waits for them)."""
        return wait_for(
            lambda: (lambda got: got[:count] if len(got) >= count else None)(self.messages_to(to)),
            timeout_s,
            f"{count} Twilio messages to {to}",
        )

    def wait_for_text(self, to: str, text: str, after: int, timeout_s: float = 120) -> dict:
        """The first message to `to` after its `after`-th that contains `text` (waits)."""
        deadline = time.monotonic() + timeout_s
        with self.arrived:
            while True:
                mine = [m for m in self.sent if m.get("To") == to][after:]
                found = next((m for m in mine if text in m.get("Body", "")), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {text[:40]!r} to {to}")
                self.arrived.wait(left)

    def template_variables(self, message: dict[str, str]) -> dict[str, str]:
        return json.loads(message.get("ContentVariables") or "{}")


def main() -> None:
    """Serve a fake Twilio in this process until killed; print its URL (for benchmarks)."""
    fake = FakeTwilio()
    print(fake.url, flush=True)
    fake._thread.join()


if __name__ == "__main__":
    main()
