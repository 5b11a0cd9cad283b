"""Ready-to-share invite links (WhatsApp, Telegram, SMS, web chat) and their QR codes."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from urllib.parse import quote

import segno

from coach.channels.settings import ChannelSettings, channel_settings

QR_SCALE = 8  # pixels per module: about 3 cm printed at 300 dpi, easy for a phone camera
QR_BORDER = 4  # the quiet zone the QR standard asks for
QR_ERROR = "m"  # 15 % of the symbol can be damaged (printed handouts get creased)
WEB_JOIN_PATH = "/chat/join"


@dataclass(frozen=True)
class InviteLinks:
    """How a patient can join with `code`; a link is None when that channel is not set up."""

    code: str
    web_url: str
    whatsapp_url: str | None
    telegram_url: str | None
    sms_number: str | None
    sms_text: str | None
    sms_url: str | None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


def invite_links(code: str, settings: ChannelSettings | None = None) -> InviteLinks:
    """Links that open each channel with `START <code>` ready to send."""
    settings = settings or channel_settings()
    message = f"START {code}"
    whatsapp = settings.twilio_whatsapp_from.removeprefix("whatsapp:")
    sms = settings.twilio_sms_from
    bare = code.replace("-", "")
    return InviteLinks(
        code=code,
        web_url=f"{settings.webchat_public_url}{WEB_JOIN_PATH}#code={bare}",
        whatsapp_url=(
            f"https://wa.me/{_digits(whatsapp)}?text={quote(message)}" if whatsapp else None
        ),
        telegram_url=(
            f"https://t.me/{settings.telegram_bot_username}?start={bare}"
            if settings.telegram_bot_username
            else None
        ),
        sms_number=sms or None,
        sms_text=f"Text {message} to {sms}" if sms else None,
        sms_url=f"sms:{sms}?&body={quote(message)}" if sms else None,
    )


def qr_png(url: str) -> bytes:
    """A PNG QR code of `url`."""
    buffer = io.BytesIO()
    segno.make(url, error=QR_ERROR).save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def qr_pngs(links: InviteLinks) -> dict[str, bytes]:
    """One QR code per available link: web, whatsapp, telegram, sms."""
    urls = {
        "web": links.web_url,
        "whatsapp": links.whatsapp_url,
        "telegram": links.telegram_url,
        "sms": links.sms_url,
    }
    return {name: qr_png(url) for name, url in urls.items() if url}
