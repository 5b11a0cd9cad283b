"""Invites: one use, expiry, lock-out after wrong guesses, links and QR codes, the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select, text

from coach.channels.settings import channel_settings
from coach.cli import main as coach_main
from coach.enrolment import (
    RedeemStatus,
    create_invite,
    invite_links,
    qr_png,
    qr_pngs,
    redeem_invite,
)
from coach.storage.db import transaction
from coach.storage.models import AuditEvent, ChannelIdentity, Invite, Patient
from tests.conftest import SeededClinic, add_patient

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
WA = "whatsapp:+447700900001"


def _invite(clinic: SeededClinic, now: datetime = NOW, **kwargs) -> str:
    with transaction(clinic.url) as session:
        return create_invite(session, clinic.patient_id, created_by="dr", now=now, **kwargs).code


def _redeem(clinic: SeededClinic, code: str, sender: str = WA, now: datetime = NOW):
    with transaction(clinic.url) as session:
        return redeem_invite(session, code, "whatsapp", sender, now=now)


def test_a_code_joins_once_and_links_that_sender(clinic: SeededClinic) -> None:
    code = _invite(clinic)
    assert len(code) == 9 and code[4] == "-" and any(c.isdigit() for c in code)
    result = _redeem(clinic, code)
    assert (result.status, result.patient_id) == (RedeemStatus.JOINED, clinic.patient_id)
    with transaction(clinic.url) as session:
        identity = session.get(ChannelIdentity, result.identity_id)
        assert (identity.channel, identity.sender_id, identity.patient_id) == (
            "whatsapp",
            WA,
            clinic.patient_id,
        )
        invite = session.scalars(select(Invite)).one()
        assert invite.used_by_identity_id == identity.id and invite.used_at is not None
        actions = session.scalars(select(AuditEvent.action)).all()
        assert {"invite_created", "invite_redeemed"} <= set(actions)
    assert _redeem(clinic, code).status == RedeemStatus.ALREADY_JOINED
    assert _redeem(clinic, code, sender="whatsapp:+447700900002").status == RedeemStatus.USED


def test_only_a_hash_of_the_code_is_stored(clinic: SeededClinic) -> None:
    code = _invite(clinic)
    with transaction(clinic.url) as session:
        dumped = "\n".join(str(row) for row in session.execute(text("SELECT * FROM invite")).all())
    assert code.replace("-", "") not in dumped and code not in dumped


def test_an_expired_code_is_refused(clinic: SeededClinic) -> None:
    code = _invite(clinic, ttl=timedelta(hours=1))
    result = _redeem(clinic, code, now=NOW + timedelta(hours=1, seconds=1))
    assert result.status == RedeemStatus.EXPIRED
    with transaction(clinic.url) as session:
        assert (
            session.scalars(select(ChannelIdentity).where(ChannelIdentity.sender_id == WA)).all()
            == []
        )


def test_wrong_guesses_lock_the_sender_out_then_the_window_passes(clinic: SeededClinic) -> None:
    code = _invite(clinic, ttl=timedelta(days=3))
    left = [
        _redeem(clinic, "ABCD-2345", now=NOW + timedelta(minutes=i)).attempts_left for i in range(5)
    ]
    assert left == [4, 3, 2, 1, 0]
    locked = _redeem(clinic, code, now=NOW + timedelta(minutes=10))  # even the right code
    assert locked.status == RedeemStatus.LOCKED
    assert locked.locked_until == NOW + timedelta(minutes=60)
    assert _redeem(clinic, code, sender="whatsapp:+447700900009").status == RedeemStatus.JOINED
    later = _redeem(clinic, code, now=NOW + timedelta(minutes=61))
    assert later.status == RedeemStatus.USED  # no longer locked: the code was used meanwhile


def test_a_sender_linked_to_another_patient_is_not_moved(clinic: SeededClinic) -> None:
    other = add_patient(clinic.url, "other-rest-sender")
    with transaction(clinic.url) as session:
        first = create_invite(session, clinic.patient_id, created_by="dr", now=NOW).code
        second = create_invite(session, other.patient_id, created_by="dr", now=NOW).code
    assert _redeem(clinic, first).status == RedeemStatus.JOINED
    result = _redeem(clinic, second)
    assert (result.status, result.patient_id) == (RedeemStatus.LINKED_ELSEWHERE, clinic.patient_id)
    with transaction(clinic.url) as session:
        assert (
            session.scalar(select(Invite.used_at).where(Invite.patient_id == other.patient_id))
            is None
        )


def test_unknown_patients_get_no_invite(clinic: SeededClinic) -> None:
    with transaction(clinic.url) as session, pytest.raises(LookupError):
        create_invite(session, 9999, created_by="dr")


def _decode(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    value, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return value


def test_links_for_every_configured_channel_and_readable_qr_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_WHATSAPP_FROM", "whatsapp:+14155238886")
    monkeypatch.setenv("TWILIO_SMS_FROM", "+15005550006")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "coach_bot")
    monkeypatch.setenv("WEBCHAT_PUBLIC_URL", "https://coach.clinic.example")
    links = invite_links("K7QM-4RXT", channel_settings())
    assert links.whatsapp_url == "https://wa.me/14155238886?text=START%20K7QM-4RXT"
    assert links.telegram_url == "https://t.me/coach_bot?start=K7QM4RXT"
    assert links.sms_text == "Text START K7QM-4RXT to +15005550006"
    assert links.sms_url == "sms:+15005550006?&body=START%20K7QM-4RXT"
    assert links.web_url == "https://coach.clinic.example/chat/join#code=K7QM4RXT"
    pngs = qr_pngs(links)
    assert set(pngs) == {"web", "whatsapp", "telegram", "sms"}
    assert all(png.startswith(b"\x89PNG") for png in pngs.values())
    assert _decode(pngs["web"]) == links.web_url
    assert _decode(pngs["whatsapp"]) == links.whatsapp_url


def test_unconfigured_channels_have_no_link(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_WHATSAPP_FROM", "TWILIO_SMS_FROM", "TELEGRAM_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    links = invite_links("K7QM-4RXT", channel_settings())
    assert (links.whatsapp_url, links.telegram_url, links.sms_text) == (None, None, None)
    assert _decode(qr_png(links.web_url)) == links.web_url


def test_the_cli_adds_a_patient_and_prints_an_invite_with_qr_files(
    app_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clinic = add_patient(app_db, "cli-sender")
    with transaction(app_db) as session:
        email = session.get(Patient, clinic.patient_id).therapist.email
    assert coach_main(["patients", "add", "--name", "Robin", "--therapist-email", email]) == 0
    new_id = int(capsys.readouterr().out.split()[1])
    qr_dir = tmp_path / "qr"
    assert coach_main(["patients", "invite", str(new_id), "--qr-dir", str(qr_dir)]) == 0
    printed = capsys.readouterr().out
    code = next(
        line.split()[-1] for line in printed.splitlines() if line.strip().startswith("code")
    )
    assert (qr_dir / f"invite-{new_id}-web.png").read_bytes().startswith(b"\x89PNG")
    with transaction(app_db) as session:
        result = redeem_invite(session, code, "telegram", "telegram:77")
    assert (result.status, result.patient_id) == (RedeemStatus.JOINED, new_id)
    assert coach_main(["patients", "invite", "4242"]) == 1
