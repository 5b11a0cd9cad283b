"""one check-in per patient per local day (checkin.local_date, unique with patient_id)

Existing rows get the date of `completed_at` in the patient's time zone; where a patient has
several on one day, the latest keeps the date and the others keep theirs blank (kept, not
deleted).

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29 12:00:00
"""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def upgrade() -> None:
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_date", sa.Date(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.patient_id, c.completed_at, p.timezone FROM checkin c "
            "JOIN patient p ON p.id = c.patient_id ORDER BY c.completed_at DESC, c.id DESC"
        )
    ).all()
    seen = set()
    for row in rows:
        completed = row.completed_at
        if isinstance(completed, str):
            completed = datetime.fromisoformat(completed)
        if completed.tzinfo is None:
            completed = completed.replace(tzinfo=timezone.utc)
        day = completed.astimezone(_zone(row.timezone)).date()
        if (row.patient_id, day) in seen:
            continue
        seen.add((row.patient_id, day))
        bind.execute(
            sa.text("UPDATE checkin SET local_date = :day WHERE id = :id"),
            {"day": day, "id": row.id},
        )
    op.create_index(
        "uq_checkin_patient_local_date", "checkin", ["patient_id", "local_date"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_checkin_patient_local_date", table_name="checkin")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_column("local_date")
