"""accounts and assignments

Classroom mode: password hashes and flags on ``users``, signed-in sessions (``auth_sessions``),
failed sign-in counters (``sign_in_throttle``), and assignments with their items, members and
submissions. The local user becomes an instructor, since local mode gives it every page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quiz.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retry_after", quiz.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_until", quiz.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttle")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_sign_in_throttle_scope_key")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("opens_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("credit_schedule", sa.String(length=200), nullable=False),
        sa.Column("for_all_students", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_assignments_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("idle_expires_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "assignment_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=50), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("params", sa.Text(), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("points", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_items_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["cards.id"],
            name=op.f("fk_assignment_items_card_id_cards"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_items")),
    )
    with op.batch_alter_table("assignment_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_items_assignment_id"), ["assignment_id"], unique=False
        )

    op.create_table(
        "assignment_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_members_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assignment_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_members")),
        sa.UniqueConstraint(
            "assignment_id", "user_id", name=op.f("uq_assignment_members_assignment_id_user_id")
        ),
    )
    with op.batch_alter_table("assignment_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_members_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "assignment_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("raw_answer", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("credit", sa.Float(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("mistake", sa.String(length=50), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("created_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_submissions_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["assignment_items.id"],
            name=op.f("fk_assignment_submissions_item_id_assignment_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assignment_submissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_submissions")),
        sa.UniqueConstraint(
            "item_id",
            "user_id",
            "attempt_number",
            name=op.f("uq_assignment_submissions_item_id_user_id_attempt_number"),
        ),
    )
    with op.batch_alter_table("assignment_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignment_submissions_assignment_user", ["assignment_id", "user_id"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    op.execute("UPDATE users SET role = 'instructor' WHERE username = 'local'")


def downgrade() -> None:
    op.execute("UPDATE users SET role = 'student' WHERE username = 'local'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("password_hash")

    with op.batch_alter_table("assignment_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_submissions_assignment_user")

    op.drop_table("assignment_submissions")
    with op.batch_alter_table("assignment_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_members_user_id"))

    op.drop_table("assignment_members")
    with op.batch_alter_table("assignment_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_items_assignment_id"))

    op.drop_table("assignment_items")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_user_id"))

    op.drop_table("auth_sessions")
    op.drop_table("assignments")
    op.drop_table("sign_in_throttle")
