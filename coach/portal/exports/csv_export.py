"""CSV exports: one table per dataset, written and read back by the same column definitions.

Text cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a
leading apostrophe; `read_csv` removes it again, so an export round-trips exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coach.notify.render import as_utc
from coach.storage.models import CheckIn, ClipAnalysis, Escalation, QuestionnaireResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def _text_out(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text_in(cell: str) -> str | None:
    if cell == "":
        return None
    return cell[1:] if cell.startswith("'") else cell


def _int_in(cell: str) -> int | None:
    return None if cell == "" else int(cell)


def _float_in(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def _bool_out(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _bool_in(cell: str) -> bool | None:
    return None if cell == "" else cell == "true"


def _time_out(value: datetime | None) -> str:
    return "" if value is None else as_utc(value).isoformat()


def _time_in(cell: str) -> datetime | None:
    return None if cell == "" else datetime.fromisoformat(cell)


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    """One CSV column: its header, how to get it from a record, and how to read it back."""

    name: str
    get: Callable[[Any], Any]
    write: Callable[[Any], str]
    read: Callable[[str], Any]


def _col(name: str, kind: str, get: Callable[[Any], Any] | None = None) -> Column:
    getter = get or (lambda row, n=name: getattr(row, n))
    codecs = {
        "int": (_plain, _int_in),
        "float": (_plain, _float_in),
        "bool": (_bool_out, _bool_in),
        "time": (_time_out, _time_in),
        "text": (_text_out, _text_in),
    }
    write, read = codecs[kind]
    return Column(name, getter, write, read)


def _symptoms(checkin: CheckIn) -> str | None:
    parts = [
        f"{'no ' if s.negated else ''}{s.symptom}{f' ({s.side})' if s.side else ''}"
        for s in checkin.symptoms
    ]
    return "; ".join(parts) or None


DATASETS: dict[str, tuple[Column, ...]] = {
    "checkins": (
        _col("id", "int"),
        _col("completed_at", "time"),
        _col("face_feeling", "text"),
        _col("symptoms", "text", _symptoms),
        _col("early_sign_key", "text"),
        _col("early_sign_present", "bool"),
        _col("sessions_done", "int"),
        _col("minutes_practised", "int"),
        _col("mirror_used", "bool"),
        _col("forced_movements", "bool"),
        _col("eye_care_done", "bool"),
        _col("mood", "int"),
    ),
    "saq": (
        _col("id", "int"),
        _col("answered_at", "time"),
        *(
            _col(f"item_{i + 1}", "int", lambda r, i=i: (r.items or [None] * 9)[i])
            for i in range(9)
        ),
        _col("score", "float"),
        _col("change_from_previous", "float"),
        _col("real_change", "bool"),
    ),
    "clips": (
        _col("id", "int"),
        _col("created_at", "time"),
        _col("status", "text"),
        _col("is_baseline", "bool"),
        _col("needs_review", "bool"),
        *(
            _col(
                f"{name}.{side}", "float", lambda r, k=f"{name}.{side}": r.report["metrics"].get(k)
            )
            for name in (
                "eye_narrowing_smile_pct",
                "eye_narrowing_pucker_pct",
                "mouth_excursion_closure_pct",
            )
            for side in ("right", "left")
        ),
        _col(
            "ocular_synkinesis_score",
            "float",
            lambda r: r.report["metrics"].get("ocular_synkinesis_score"),
        ),
    ),
    "alerts": (
        _col("id", "int"),
        _col("created_at", "time"),
        _col("kind", "text"),
        _col("level", "text"),
        _col("status", "text"),
        _col("ladder_step", "int"),
        _col("acknowledged_at", "time"),
        _col("acknowledged_by", "text"),
        _col("ack_note", "text"),
        _col("resolved_at", "time"),
        _col("resolved_by", "text"),
        _col("resolve_note", "text"),
    ),
}


def _records(db: Session, dataset: str, patient_id: int) -> Iterable[Any]:
    if dataset == "checkins":
        return db.scalars(
            select(CheckIn)
            .where(CheckIn.patient_id == patient_id)
            .options(selectinload(CheckIn.symptoms))
            .order_by(CheckIn.completed_at)
        )
    if dataset == "saq":
        return db.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient_id)
            .order_by(QuestionnaireResponse.answered_at)
        )
    if dataset == "clips":
        return db.scalars(
            select(ClipAnalysis)
            .where(ClipAnalysis.patient_id == patient_id)
            .order_by(ClipAnalysis.created_at)
        )
    return db.scalars(
        select(Escalation).where(Escalation.patient_id == patient_id).order_by(Escalation.id)
    )


def rows_of(db: Session, dataset: str, patient_id: int) -> list[dict[str, Any]]:
    """The dataset's records as typed dicts (what the CSV holds, before writing)."""
    columns = DATASETS[dataset]
    return [{c.name: c.get(r) for c in columns} for r in _records(db, dataset, patient_id)]


def write_csv(dataset: str, rows: Iterable[dict[str, Any]]) -> str:
    """CSV text (header + rows) for typed rows of `dataset`."""
    columns = DATASETS[dataset]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([c.write(row[c.name]) for c in columns])
    return out.getvalue()


def read_csv(dataset: str, text: str) -> list[dict[str, Any]]:
    """Typed rows back from CSV text written by `write_csv`."""
    columns = {c.name: c for c in DATASETS[dataset]}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [{name: columns[name].read(cell) for name, cell in row.items()} for row in reader]


def export_csv(db: Session, dataset: str, patient_id: int) -> str:
    """The CSV of one dataset of one patient."""
    return write_csv(dataset, rows_of(db, dataset, patient_id))
