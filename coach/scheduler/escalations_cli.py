"""`coach escalations list|ack ID`: see and acknowledge escalations from the command line."""

from __future__ import annotations

import argparse
import getpass
import os

from sqlalchemy import select

from coach.content import load_content
from coach.notify.render import as_utc
from coach.scheduler.ack import acknowledge
from coach.storage.db import session_factory, transaction
from coach.storage.models import Escalation

DEFAULT_LIST_LIMIT = 50
TIME_FORMAT = "%Y-%m-%d %H:%M"


def _parse(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=argparse.SUPPRESS, help="override DATABASE_URL")
    parser = argparse.ArgumentParser(prog="coach escalations", parents=[common])
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="newest escalations first", parents=[common])
    listing.add_argument("--all", action="store_true", help="include acknowledged ones")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIST_LIMIT)
    ack = sub.add_parser("ack", help="acknowledge one escalation", parents=[common])
    ack.add_argument("id", type=int)
    ack.add_argument("--by", default=None, help="who acknowledges (default: the OS user)")
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


def _ack(url: str | None, escalation_id: int, by: str) -> int:
    texts = load_content("notifications")["cli"]
    with transaction(url) as session:
        result = acknowledge(session, escalation_id, by)
        if result.escalation is None:
            print(texts["not_found"].format(id=escalation_id))
            return 1
        if result.outcome == "already":
            at = result.escalation.acknowledged_at
            print(
                texts["ack_already"].format(
                    id=escalation_id,
                    by=result.escalation.acknowledged_by,
                    at=as_utc(at).strftime(TIME_FORMAT) if at else "-",
                )
            )
            return 0
    print(texts["ack_done"].format(id=escalation_id, by=by))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `coach escalations`."""
    args = _parse(list(argv or []))
    url = getattr(args, "database_url", None) or os.environ.get("DATABASE_URL") or None
    if args.action == "list":
        return _list(url, args.all, args.limit)
    return _ack(url, args.id, args.by or f"cli:{getpass.getuser()}")
