"""reliability: claim holder, single-use acknowledge links, scheduler job runs, clip retention

Revision ID: 0005
Revises: 0011
Create Date: 2026-11-29 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("link_used_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("clip_analysis", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("clip_deleted_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "scheduler_job_run",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_holder", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("scheduler_job_run")
    with op.batch_alter_table("clip_analysis", schema=None) as batch_op:
        batch_op.drop_column("clip_deleted_at")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("link_used_at")
        batch_op.drop_column("claimed_by")
