"""The `coach` command: one entry point for operators (`coach --help`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from coach.config import get_settings


def _db_upgrade(args: argparse.Namespace) -> int:
    from coach.storage.migrate import upgrade

    upgrade(args.database_url)
    print("database is at the latest schema")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from coach.storage.demo import seed_demo_clinic

    created = seed_demo_clinic(args.database_url)
    print("demo clinic seeded" if created else "demo clinic already present")
    return 0


def _demo_logins(_args: argparse.Namespace) -> int:
    from coach.content import load_content

    print("  demo sign-ins (portal; demo data only):")
    for role, login in load_content("demo_clinic")["accounts"].items():
        print(f"    {role.replace('_', ' '):<16} {login['email']:<28} {login['password']}")
    return 0


def _chat(args: argparse.Namespace) -> int:
    from coach.terminal_chat import run_chat

    return run_chat(args.sender, args.rasa_url or get_settings().rasa_url)


def _scheduler(args: argparse.Namespace) -> int:
    from coach.scheduler.service import main

    return main(args.rest)


def _analyze_clip(args: argparse.Namespace) -> int:
    from coach.clips.cli import main

    return main(args.rest)


def _escalations(args: argparse.Namespace) -> int:
    from coach.escalation.cli import main

    return main(args.rest)


def _patients(args: argparse.Namespace) -> int:
    from coach.enrolment.cli import main

    return main(args.rest)


def _token(args: argparse.Namespace) -> int:
    from coach.messaging.cli import main

    return main(args.rest)


def _webchat(args: argparse.Namespace) -> int:
    from coach.webchat.server import main

    return main(args.rest)


def _dev_mailbox(args: argparse.Namespace) -> int:
    from coach.notify.dev_mailbox import main

    return main(args.rest)


def _locations(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from coach.storage.backup import Locations

    settings = get_settings()
    return Locations(
        database_url=args.database_url or settings.database_url,
        media_dir=settings.media_dir,
        spool_dir=settings.spool_dir,
    )


def _backup(args: argparse.Namespace) -> int:
    from coach.storage.backup import BackupError, backup

    try:
        manifest = backup(args.archive, _locations(args))
    except BackupError as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return 1
    print(f"backup written to {args.archive} ({len(manifest['files'])} files)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from coach.storage.backup import BackupError, restore

    try:
        manifest = restore(args.archive, _locations(args), force=args.force)
    except BackupError as error:
        print(f"restore failed: {error}", file=sys.stderr)
        return 1
    print(f"restored the backup of {manifest['created_at']} ({len(manifest['files'])} files)")
    return 0


def _portal(args: argparse.Namespace) -> int:
    from coach.config import require_production_settings
    from coach.portal.server import serve

    require_production_settings("coach portal")
    return serve(args.host, args.port, args.database_url)


def build_parser() -> argparse.ArgumentParser:
    """Parser with one sub-command per operator task."""
    parser = argparse.ArgumentParser(prog="coach", description="Synkinesis coach operator tools")
    parser.add_argument("--database-url", default=None, help="override DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])
    db.set_defaults(func=_db_upgrade)

    sub.add_parser("seed-demo", help="add the demo clinic (idempotent)").set_defaults(
        func=_seed_demo
    )

    sub.add_parser("demo-logins", help="print the demo clinic's portal sign-ins").set_defaults(
        func=_demo_logins
    )

    chat = sub.add_parser("chat", help="terminal chat with the running coach (REST channel)")
    chat.add_argument("--sender", default="demo-patient")
    chat.add_argument("--rasa-url", default=None)
    chat.set_defaults(func=_chat)

    portal = sub.add_parser("portal", help="web portal for therapists, admins and caregivers")
    portal.add_argument("--host", default=None, help="bind address (default: PORTAL_HOST)")
    portal.add_argument("--port", type=int, default=None, help="port (default: PORTAL_PORT)")
    portal.set_defaults(func=_portal)

    saved = sub.add_parser("backup", help="consistent copy of database, media and spool")
    saved.add_argument("archive", type=Path, help="the .tar.gz to write")
    saved.set_defaults(func=_backup)
    back = sub.add_parser("restore", help="restore a `coach backup` archive")
    back.add_argument("archive", type=Path)
    back.add_argument("--force", action="store_true", help="overwrite an existing database")
    back.set_defaults(func=_restore)

    for name, (func, text) in PASSTHROUGH.items():
        passthrough = sub.add_parser(name, help=text, add_help=False)
        passthrough.set_defaults(func=func, rest=[])
    return parser


# Sub-commands with their own argument parsers: everything after the name is theirs.
PASSTHROUGH: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "scheduler": (_scheduler, "run the scheduler process"),
    "analyze-clip": (_analyze_clip, "analyse a selfie clip (see analyze-clip --help)"),
    "escalations": (_escalations, "list / acknowledge escalations"),
    "dev-mailbox": (_dev_mailbox, "local SMTP sink saving mail under var/mail (make run)"),
    "patients": (_patients, "add patients and make one-time invites (code, links, QR codes)"),
    "token": (_token, "a REST channel token or a web chat link for a sender"),
    "webchat": (_webchat, "serve the patient web chat page (and the Twilio status callback)"),
}


def parse_command(argv: list[str]) -> argparse.Namespace:
    """The chosen sub-command; a pass-through command gets the rest of `argv` untouched
    (argparse's REMAINDER drops a leading `--option`)."""
    parser = build_parser()
    split = next((i for i, arg in enumerate(argv) if arg in PASSTHROUGH), None)
    if split is None:
        return parser.parse_args(argv)
    args = parser.parse_args(argv[: split + 1])
    args.rest = argv[split + 1 :]
    return args


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and run the chosen sub-command."""
    args = parse_command(list(sys.argv[1:] if argv is None else argv))
    configure_logging(get_settings().log_level)
    return args.func(args)


def configure_logging(level: str) -> None:
    """Root logging for every sub-command, with PHI-carrying HTTP request logs kept out."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO; Rasa's conversation URLs carry the sender id (a
    # phone number on SMS/WhatsApp), which is PHI.
    # APScheduler logs two lines per job run (the outbox runs every 2 s) and aiosmtpd every SMTP
    # command with the addresses: failures only.
    for chatty in ("httpx", "httpcore", "apscheduler.executors", "mail.log"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
