"""`coach patients …`: add a patient, make an invite (code, links, QR codes), list patients."""

from __future__ import annotations

import argparse
import getpass
from datetime import date, time
from pathlib import Path

from sqlalchemy import select

from coach.config import get_settings
from coach.enrolment.invites import create_invite
from coach.enrolment.links import invite_links, qr_pngs
from coach.enrolment.patients import NewPatient, add_patient
from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, Patient, Therapist


def _add(args: argparse.Namespace) -> int:
    hours, minutes = (int(x) for x in args.checkin_time.split(":"))
    details = NewPatient(
        display_name=args.name,
        timezone=args.timezone or get_settings().default_timezone,
        checkin_time=time(hours, minutes),
        locale=args.locale,
        onset_date=date.fromisoformat(args.onset_date) if args.onset_date else None,
        affected_side=args.affected_side,
        eye_closure_incomplete=args.eye_closure_incomplete,
    )
    with transaction() as session:
        therapist = session.scalar(select(Therapist).where(Therapist.email == args.therapist_email))
        if therapist is None:
            print(f"no therapist with email {args.therapist_email}")
            return 1
        created_by = f"cli:{getpass.getuser()}"
        patient = add_patient(session, therapist.id, details, created_by=created_by)
        print(f"patient {patient.id} added; now: coach patients invite {patient.id}")
    return 0


def _invite(args: argparse.Namespace) -> int:
    created_by = args.created_by or getpass.getuser()
    try:
        with transaction() as session:
            invite = create_invite(session, args.patient_id, created_by=created_by)
    except LookupError as error:
        print(error)
        return 1
    links = invite_links(invite.code)
    until = f"{invite.expires_at:%Y-%m-%d %H:%M} UTC"
    print(f"Invite for patient {args.patient_id} (works once, until {until})")
    print(f"  code      {invite.code}")
    print(f"  web chat  {links.web_url}")
    if links.whatsapp_url:
        print(f"  WhatsApp  {links.whatsapp_url}")
    if links.telegram_url:
        print(f"  Telegram  {links.telegram_url}")
    if links.sms_text:
        print(f"  SMS       {links.sms_text}")
    if args.qr_dir:
        folder = Path(args.qr_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name, png in qr_pngs(links).items():
            path = folder / f"invite-{args.patient_id}-{name}.png"
            path.write_bytes(png)
            print(f"  QR code   {path}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with transaction() as session:
        for patient in session.scalars(select(Patient).order_by(Patient.id)):
            channels = session.scalars(
                select(ChannelIdentity.channel).where(ChannelIdentity.patient_id == patient.id)
            ).all()
            consent = "consented" if patient.data_consent_version else "no consent yet"
            state = "active" if patient.active else "inactive"
            print(f"{patient.id:>5}  {state:8}  {consent:14}  {','.join(channels) or '-'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coach patients", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="add a patient to a therapist's list")
    add.add_argument("--name", required=True)
    add.add_argument("--therapist-email", required=True)
    add.add_argument("--timezone", default=None, help="IANA zone (default DEFAULT_TIMEZONE)")
    add.add_argument("--locale", default="en-GB")
    add.add_argument("--checkin-time", default="09:00", help="local HH:MM of the daily prompt")
    add.add_argument("--onset-date", default=None, help="YYYY-MM-DD")
    add.add_argument("--affected-side", choices=["left", "right"], default=None)
    add.add_argument("--eye-closure-incomplete", action="store_true")
    add.set_defaults(func=_add)
    invite = sub.add_parser("invite", help="a one-time invite: code, links, QR codes")
    invite.add_argument("patient_id", type=int)
    invite.add_argument("--qr-dir", default=None, help="write one QR code PNG per link here")
    invite.add_argument("--created-by", default=None, help="who made it (audit; default: you)")
    invite.set_defaults(func=_invite)
    sub.add_parser("list", help="patients, consent and channels").set_defaults(func=_list)
    args = parser.parse_args(argv)
    return args.func(args)
