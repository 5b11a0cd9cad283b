"""recovery milestone nudges (3 weeks and 3 months after onset), each sent once per patient

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recovery_nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("milestone", sa.String(length=16), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "milestone", name="uq_recovery_nudge"),
    )
    op.create_index("ix_recovery_nudge_patient_id", "recovery_nudge", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_recovery_nudge_patient_id", table_name="recovery_nudge")
    op.drop_table("recovery_nudge")
