"""The three ways a message leaves the system: SMTP email, Twilio SMS, signed webhook.

`Senders` keeps one SMTP connection and one HTTP client open for a whole outbox batch (a
connection per message made delivery ten times slower). Every failure is a `DeliveryError`
saying whether it is permanent (retrying cannot help) and whether the outcome is unknown (the
receiver may have accepted the message: the retry is a redelivery with the same key).

Idempotency per channel: email carries a stable Message-ID and `X-Coach-Idempotency-Key`
(mail stores de-duplicate by Message-ID); webhooks carry `Idempotency-Key`; Twilio's Messages
API has no idempotency key, so SMS is at-least-once (see coach.scheduler.outbox).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from email import quoprimime
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

import httpx

from coach.channels.settings import channel_settings
from coach.notify.render import Rendered
from coach.notify.settings import NotifySettings

IDEMPOTENCY_HEADER = "X-Coach-Idempotency-Key"
SIGNATURE_HEADER = "X-Coach-Signature"
TIMESTAMP_HEADER = "X-Coach-Timestamp"
RETRYABLE_HTTP = frozenset({408, 409, 425, 429})
UNKNOWN_OUTCOME_HTTP = frozenset({409})
MAX_ADDRESS_CHARS = 320
SMTP_OK = (250, 251)
CRLF = "\r\n"
WHATSAPP_PREFIX = "whatsapp:"


class DeliveryError(Exception):
    """A failed attempt; `permanent` ones are dead-lettered at once instead of retried;
    `outcome_unknown` ones may have reached the receiver (the retry is a redelivery)."""

    def __init__(
        self, message: str, *, permanent: bool = False, outcome_unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.outcome_unknown = outcome_unknown


def message_id(idempotency_key: str, sender: str) -> str:
    """A stable RFC 5322 Message-ID for one idempotency key (same key → same id)."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


def check_address(address: str, *, email: bool) -> str:
    """`address` if usable as a recipient; a permanent DeliveryError otherwise."""
    if (
        not address
        or len(address) > MAX_ADDRESS_CHARS
        or any(c in address for c in "\r\n\0")
        or (email and ("@" not in address or any(c.isspace() for c in address)))
    ):
        raise DeliveryError("invalid recipient address", permanent=True)
    return address


def _header(value: str) -> str:
    """A header value as ASCII (RFC 2047 encoded-words when it is not)."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _sender(smtp_from: str) -> tuple[str, str]:
    """The From header and the envelope address of SMTP_FROM (e.g. `Coach <coach@clinic>`)."""
    name, address = parseaddr(smtp_from)
    return formataddr((name, address), charset="utf-8"), address


def _part(boundary: str, subtype: str, body: str) -> str:
    return (
        f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        f"{quoprimime.body_encode(body, eol=CRLF)}\r\n"
    )


def build_email(
    rendered: Rendered, to: str, idempotency_key: str, settings: NotifySettings
) -> bytes:
    """The wire bytes of a text + HTML email (multipart/alternative, quoted-printable), with
    the idempotency key as Message-ID and header. Written directly: building it through
    `email.message` cost 5 ms a message, a tenth of the outbox's whole budget."""
    check_address(to, email=True)
    if any(c in idempotency_key for c in "\r\n"):
        raise DeliveryError("idempotency key not usable in a header", permanent=True)
    if not to.isascii():
        raise DeliveryError("recipient address needs SMTPUTF8", permanent=True)
    boundary = f"=_coach_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}"
    header = (
        f"From: {_sender(settings.smtp_from)[0]}\r\n"
        f"To: {to}\r\n"
        f"Subject: {_header(rendered.subject)}\r\n"
        f"Date: {formatdate(localtime=False)}\r\n"
        f"Message-ID: {message_id(idempotency_key, settings.smtp_from)}\r\n"
        f"{IDEMPOTENCY_HEADER}: {idempotency_key}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
    )
    body = (
        _part(boundary, "plain", rendered.text)
        + _part(boundary, "html", rendered.html)
        + f"--{boundary}--\r\n"
    )
    return (header + body).encode("ascii")


def twilio_address(to: str, from_: str) -> str:
    """`To` as Twilio wants it: a WhatsApp sender needs `whatsapp:` on the recipient too."""
    if from_.startswith(WHATSAPP_PREFIX) and not to.startswith(WHATSAPP_PREFIX):
        return f"{WHATSAPP_PREFIX}{to}"
    return to


def sign_webhook(body: bytes, timestamp: str, secret: str) -> str:
    """`v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the value of the signature header."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def _http_error(response: httpx.Response, what: str) -> DeliveryError:
    code = response.status_code
    permanent = 400 <= code < 500 and code not in RETRYABLE_HTTP
    unknown = code >= 500 or code in UNKNOWN_OUTCOME_HTTP
    return DeliveryError(f"{what} http {code}", permanent=permanent, outcome_unknown=unknown)


def _http_failure(exc: Exception, what: str) -> DeliveryError:
    name = type(exc).__name__
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return DeliveryError(f"{what} address unusable: {name}", permanent=True)
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return DeliveryError(f"{what} unavailable: {name}")
    return DeliveryError(f"{what} unavailable: {name}", outcome_unknown=True)


class Senders:
    """Open connections for one batch of deliveries; use as a context manager."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._http: httpx.Client | None = None

    def __enter__(self) -> Senders:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Say goodbye to the SMTP server and close the HTTP client."""
        self._drop_smtp(polite=True)
        if self._http is not None:
            self._http.close()
            self._http = None

    # --- email ---------------------------------------------------------------------------

    def _connect_smtp(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(timeout=s.timeout_s)
        try:
            smtp.connect(s.smtp_host, s.smtp_port)
            if s.smtp_starttls:
                smtp.starttls()
            smtp.ehlo_or_helo_if_needed()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _open_smtp(self) -> smtplib.SMTP:
        try:
            return self._connect_smtp()
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp unavailable: {type(exc).__name__}") from exc

    def _drop_smtp(self, *, polite: bool = False) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit() if polite else smtp.close()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _envelope(self, smtp: smtplib.SMTP, to: str) -> None:
        """MAIL FROM + RCPT TO; a refusal resets the transaction and raises DeliveryError."""
        for command, args, accepted in (
            (smtp.mail, (_sender(self.settings.smtp_from)[1],), (250,)),
            (smtp.rcpt, (to,), SMTP_OK),
        ):
            code, _ = command(*args)
            if code not in accepted:
                try:
                    smtp.rset()
                except (smtplib.SMTPException, OSError):
                    self._drop_smtp()
                raise DeliveryError(f"smtp {code}", permanent=code >= 500)

    def email(self, rendered: Rendered, to: str, idempotency_key: str) -> None:
        """Deliver one email on the open connection (reconnecting once if it went stale)."""
        data = build_email(rendered, to, idempotency_key, self.settings)
        for fresh in (False, True):
            reused = self._smtp is not None and not fresh
            if self._smtp is None or fresh:
                self._drop_smtp()
                self._smtp = self._open_smtp()
            smtp = self._smtp
            try:
                self._envelope(smtp, to)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop_smtp()
                if reused:
                    continue  # the server closed an idle connection: nothing was sent yet
                raise DeliveryError(f"smtp unavailable: {type(exc).__name__}") from exc
            try:
                smtp.data(data)
            except smtplib.SMTPResponseException as exc:
                raise DeliveryError(
                    f"smtp {exc.smtp_code}", permanent=exc.smtp_code >= 500
                ) from exc
            except (smtplib.SMTPException, OSError) as exc:
                self._drop_smtp()
                raise DeliveryError(
                    f"smtp lost during data: {type(exc).__name__}", outcome_unknown=True
                ) from exc
            return

    # --- HTTP: Twilio and webhooks ------------------------------------------------------

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.settings.timeout_s)
        return self._http

    def sms(self, rendered: Rendered, to: str, idempotency_key: str) -> str:
        """Send one SMS/WhatsApp message via Twilio's Messages API; returns the message SID.

        Twilio has no idempotency key: the coach's key goes in a header Twilio ignores (for
        tracing), and the outbox records each SMS right after sending it.
        """
        return self.twilio(
            to, from_=self.settings.twilio_from, body=rendered.text, idempotency_key=idempotency_key
        )

    def twilio(
        self,
        to: str,
        *,
        from_: str,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """One message through Twilio's Messages API (text, or an approved WhatsApp template
        by content SID and variables); returns the message SID. Raises DeliveryError."""
        s = self.settings
        if not (s.twilio_account_sid and s.twilio_auth_token and from_):
            raise DeliveryError("twilio is not configured", permanent=True)
        url = f"{s.twilio_api_base}/2010-04-01/Accounts/{s.twilio_account_sid}/Messages.json"
        form = {"To": twilio_address(check_address(to, email=False), from_), "From": from_}
        if content_sid:
            form["ContentSid"] = content_sid
            form["ContentVariables"] = json.dumps(content_variables or {})
        else:
            form["Body"] = body or ""
        callback = channel_settings().twilio_status_callback_url
        if callback:
            form["StatusCallback"] = callback
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else {}
        try:
            response = self._client().post(
                url, data=form, auth=(s.twilio_account_sid, s.twilio_auth_token), headers=headers
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _http_failure(exc, "twilio") from exc
        if response.status_code not in (200, 201):
            raise _http_error(response, "twilio")
        try:
            return str(response.json().get("sid", ""))
        except ValueError:
            return ""

    def webhook(self, payload: dict[str, Any], url: str, idempotency_key: str) -> None:
        """POST the JSON payload with an HMAC-SHA256 signature and the idempotency key."""
        secret = self.settings.webhook_secret
        if not secret:
            raise DeliveryError(
                "no webhook signing secret (WEBHOOK_SIGNING_SECRET)", permanent=True
            )
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign_webhook(body, timestamp, secret),
            "Idempotency-Key": idempotency_key,
        }
        try:
            response = self._client().post(
                check_address(url, email=False), content=body, headers=headers
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _http_failure(exc, "webhook") from exc
        if not 200 <= response.status_code < 300:
            raise _http_error(response, "webhook")


def send_twilio(settings: NotifySettings, to: str, **message: Any) -> str:
    """One Twilio message outside an outbox batch (see `Senders.twilio`); the message SID."""
    with Senders(settings) as senders:
        return senders.twilio(to, **message)
