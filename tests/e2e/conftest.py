"""Real Rasa server, action server and web chat server processes on loopback, once per test
session, with every channel configured against fake Twilio and Telegram APIs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import yaml

from coach.config import REPO_DIR, get_settings
from coach.storage.migrate import upgrade
from tests.e2e.stack import APP_PYTHON, MODEL, RasaStack, coach_env, free_port, wait_http
from tests.fakes import telegram as tg
from tests.fakes import twilio as tw
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

WEBCHAT_START_TIMEOUT_S = 60
TEMPLATE_SIDS = {
    "EXTERNAL_daily_checkin": "HX" + "d" * 32,
    "EXTERNAL_weekly_saq": "HX" + "5" * 32,
    "EXTERNAL_weekly_clip": "HX" + "c" * 32,
}
# What the test process shares with the servers (settings the sweep and helpers read).
SHARED_ENV = (
    "DATABASE_URL",
    "COACH_HOME",
    "MEDIA_DIR",
    "RASA_URL",
    "RASA_TOKEN",
    "COACH_SECRET_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_BASE",
    "TWILIO_FROM",
    "TWILIO_WHATSAPP_FROM",
    "TWILIO_SMS_FROM",
    "TWILIO_STATUS_CALLBACK_URL",
    "WHATSAPP_CONTENT_SIDS",
    "WEBCHAT_PUBLIC_URL",
    "RASA_PUBLIC_URL",
)


def domain_text(response: str) -> str:
    """The first text variant of a domain response."""
    for path in (REPO_DIR / "domain").glob("*.yml"):
        responses = yaml.safe_load(path.read_text()).get("responses") or {}
        if response in responses:
            return responses[response][0]["text"]
    raise KeyError(response)


@dataclass
class CoachServers(RasaStack):
    """The coach's stack, the database it writes to, and the fake providers."""

    database_url: str = ""
    twilio: FakeTwilio | None = None
    telegram: FakeTelegram | None = None
    webchat_port: int = field(default_factory=free_port)

    @property
    def webchat_url(self) -> str:
        return f"http://127.0.0.1:{self.webchat_port}"

    def webhook(self, channel: str) -> str:
        return f"{self.rasa_url}/webhooks/{channel}/webhook"

    def start_webchat(self) -> None:
        process, log = self._spawn(
            "webchat",
            [str(APP_PYTHON), "-m", "coach.cli", "webchat", "--port", str(self.webchat_port)],
        )
        wait_http(f"{self.webchat_url}/chat", WEBCHAT_START_TIMEOUT_S, process, log)

    def use_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point this test process's settings at the servers (for the sweep, tokens, links)."""
        for name in SHARED_ENV:
            if name in self.env:
                monkeypatch.setenv(name, self.env[name])
        get_settings.cache_clear()


def channel_env(
    rasa_url: str, webchat_url: str, twilio: FakeTwilio, telegram: FakeTelegram
) -> dict:
    """Every channel configured against the fakes."""
    return {
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
        "TWILIO_API_BASE": twilio.url,
        "TWILIO_FROM": tw.WHATSAPP_NUMBER,
        "TWILIO_WHATSAPP_FROM": tw.WHATSAPP_NUMBER,
        "TWILIO_SMS_FROM": tw.SMS_NUMBER,
        "TWILIO_MEDIA_HOSTS": f"api.twilio.com,*.twiliocdn.com,127.0.0.1:{twilio.port}",
        "TWILIO_STATUS_CALLBACK_URL": f"{webchat_url}/twilio/status",
        "WHATSAPP_CONTENT_SIDS": ",".join(f"{k}={v}" for k, v in TEMPLATE_SIDS.items()),
        "TELEGRAM_BOT_TOKEN": tg.BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": tg.WEBHOOK_SECRET,
        "TELEGRAM_API_BASE": telegram.url,
        "TELEGRAM_BOT_USERNAME": tg.BOT_USER["username"],
        "WEBCHAT_PUBLIC_URL": webchat_url,
        "WEBCHAT_ORIGINS": webchat_url,
        "RASA_PUBLIC_URL": rasa_url,
        "RASA_URL": rasa_url,
    }


@pytest.fixture(scope="session")
def coach_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoachServers]:
    if not MODEL.exists():
        pytest.fail("models/coach.tar.gz is missing: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{workdir / 'coach.db'}"
    upgrade(database_url)
    actions_port = free_port()
    twilio, telegram = FakeTwilio(), FakeTelegram()
    servers = CoachServers(
        workdir=workdir,
        env=coach_env(workdir, database_url, actions_port),
        actions_port=actions_port,
        database_url=database_url,
        twilio=twilio,
        telegram=telegram,
    )
    servers.env.update(channel_env(servers.rasa_url, servers.webchat_url, twilio, telegram))
    servers.env["MEDIA_DIR"] = str(workdir / "var" / "media")
    try:
        servers.start_actions()
        servers.start_webchat()
        servers.start_rasa()
        yield servers
    finally:
        servers.stop()
        twilio.close()
        telegram.close()
