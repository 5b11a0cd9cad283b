"""therapist time zone (weekly digest at the therapist's local time)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("therapist", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("therapist", schema=None) as batch_op:
        batch_op.drop_column("timezone")
