"""portal: accounts, sessions, login attempts, plan columns, escalation resolution, read indexes

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-27 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clip_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("plan_exercises", sa.JSON(), nullable=True))
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ack_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("resolve_note", sa.Text(), nullable=True))
    op.create_table(
        "portal_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("caregiver_id", sa.Integer(), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["therapist_id"], ["therapist.id"]),
        sa.ForeignKeyConstraint(["caregiver_id"], ["caregiver.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_index("ix_portal_user_therapist_id", "portal_user", ["therapist_id"])
    op.create_index("ix_portal_user_caregiver_id", "portal_user", ["caregiver_id"])
    op.create_table(
        "portal_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mfa_pending", sa.Boolean(), nullable=False),
        sa.Column("via_link", sa.Boolean(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["portal_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_portal_session_user_id", "portal_session", ["user_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])
    op.create_index("ix_login_attempt_client", "login_attempt", ["client"])
    op.create_index("ix_login_attempt_email", "login_attempt", ["email"])
    op.create_index("ix_checkin_patient_completed", "checkin", ["patient_id", "completed_at"])
    op.create_index(
        "ix_saq_patient_answered", "questionnaire_response", ["patient_id", "answered_at"]
    )
    op.create_index("ix_clip_patient_created", "clip_analysis", ["patient_id", "created_at"])
    op.create_index("ix_escalation_patient_status", "escalation", ["patient_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_escalation_patient_status", table_name="escalation")
    op.drop_index("ix_clip_patient_created", table_name="clip_analysis")
    op.drop_index("ix_saq_patient_answered", table_name="questionnaire_response")
    op.drop_index("ix_checkin_patient_completed", table_name="checkin")
    op.drop_table("login_attempt")
    op.drop_table("portal_session")
    op.drop_table("portal_user")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        for column in ("resolve_note", "resolved_by", "resolved_at", "ack_note"):
            batch_op.drop_column(column)
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("plan_exercises")
        batch_op.drop_column("clip_weekday")
