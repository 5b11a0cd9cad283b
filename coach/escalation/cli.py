"""`coach escalations list|ack ID|resolve ID`: see and handle escalations from the command line."""

from __future__ import annotations

import argparse
import getpass
import os

from sqlalchemy import select

from coach.content import load_content
from coach.escalation.acknowledge import AckResult, acknowledge, resolve
from coach.storage.db import session_factory, transaction
from coach.storage.models import Escalation, as_utc

DEFAULT_LIST_LIMIT = 50
TIME_FORMAT = "%Y-%m-%d %H:%M"


def _parse(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=argparse.SUPPRESS, help="override DATABASE_URL")
    parser = argparse.ArgumentParser(prog="coach escalations", parents=[common])
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="newest escalations first", parents=[common])
    listing.add_argument("--all", action="store_true", help="include handled ones")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIST_LIMIT)
    for action, text in (("ack", "acknowledge"), ("resolve", "resolve")):
        handle = sub.add_parser(action, help=f"{text} one escalation", parents=[common])
        handle.add_argument("id", type=int)
        handle.add_argument("--by", default=None, help="who does it (default: the OS user)")
        handle.add_argument("--note", default=None, help="a note kept with the escalation")
    return parser.parse_args(argv)


def _list(url: str | None, include_all: bool, limit: int) -> int:
    texts = load_content("notifications")["cli"]
    query = select(Escalation).order_by(Escalation.id.desc()).limit(limit)
    if not include_all:
        query = query.where(Escalation.status == "open")
    with session_factory(url)() as session:
        rows = session.scalars(query).all()
    print(texts["list_header"])
    for row in rows:
        print(
            texts["list_row"].format(
                id=row.id,
                level=row.level,
                status=row.status,
                ladder_step=row.ladder_step,
                created_at=as_utc(row.created_at).strftime(TIME_FORMAT),
                patient_id=row.patient_id if row.patient_id is not None else "-",
                kind=row.kind,
            )
        )
    return 0


def _handle(url: str | None, action: str, escalation_id: int, by: str, note: str | None) -> int:
    texts = load_content("notifications")["cli"]
    handler = acknowledge if action == "ack" else resolve
    with transaction(url) as session:
        result: AckResult = handler(session, escalation_id, by, note)
        escalation = result.escalation
        if escalation is None:
            print(texts["not_found"].format(id=escalation_id))
            return 1
        if result.outcome == "already":
            print(texts["already"].format(id=escalation_id, status=escalation.status))
            return 0
    print(texts["done"].format(id=escalation_id, status=escalation.status, by=by))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `coach escalations`."""
    args = _parse(list(argv or []))
    url = getattr(args, "database_url", None) or os.environ.get("DATABASE_URL") or None
    if args.action == "list":
        return _list(url, args.all, args.limit)
    return _handle(url, args.action, args.id, args.by or f"cli:{getpass.getuser()}", args.note)
