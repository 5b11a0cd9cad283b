"""symptom reports outside a check-in (checkin_id nullable, reported_at, source_key); mood reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("symptom_report", schema=None) as batch_op:
        batch_op.alter_column("checkin_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("source_key", sa.String(length=160), nullable=True))
        batch_op.create_index("ix_symptom_report_source_key", ["source_key"])
    op.create_table(
        "mood_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("source_key", sa.String(length=160), nullable=False, unique=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mood_report_patient_id", "mood_report", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_mood_report_patient_id", table_name="mood_report")
    op.drop_table("mood_report")
    with op.batch_alter_table("symptom_report", schema=None) as batch_op:
        batch_op.drop_index("ix_symptom_report_source_key")
        batch_op.drop_column("source_key")
        batch_op.drop_column("reported_at")
        batch_op.alter_column("checkin_id", existing_type=sa.Integer(), nullable=False)
