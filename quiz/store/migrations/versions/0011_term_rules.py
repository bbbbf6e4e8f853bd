"""term rules: extensions, late windows, score release, overrides, an audit log, sections

* ``users.section``: a student's class section (roster import fills it).
* ``assignments``: a late window (``late_until``, ``late_penalty``) and release rules for scores
  and for answers (``*_release``: immediately, after_due, on_date, by_hand; ``*_release_at``).
  Existing exams keep what they did before (everything shown once the due time has passed:
  ``after_due``); new exams default to ``by_hand`` in the service.
* ``assignment_items.removed_at``: a removed item is hidden, its submissions kept.
* ``assignment_submissions.late``: answered inside the late window (its credit carries the penalty).
* ``assignment_extensions``, ``score_overrides``, ``assignment_audit``,
  ``assignment_format_errors``, ``assignment_archives`` (a deleted assignment's export): new
  tables.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quiz.store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC_DATETIME = quiz.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("section", sa.String(length=100), nullable=True))
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("late_until", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("late_penalty", sa.Float(), server_default="0", nullable=False))
        for what in ("scores", "answers"):
            batch.add_column(
                sa.Column(
                    f"{what}_release",
                    sa.String(length=20),
                    server_default="immediately",
                    nullable=False,
                )
            )
            batch.add_column(sa.Column(f"{what}_release_at", UTC_DATETIME, nullable=True))
    op.execute(
        "UPDATE assignments SET scores_release = 'after_due', answers_release = 'after_due' "
        "WHERE mode = 'exam'"
    )
    with op.batch_alter_table("assignment_items") as batch:
        batch.add_column(sa.Column("removed_at", UTC_DATETIME, nullable=True))
    with op.batch_alter_table("assignment_submissions") as batch:
        batch.add_column(sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "assignment_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("section", sa.String(length=100), nullable=True),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("extra_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_extensions_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assignment_extensions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_assignment_extensions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_extensions")),
        sa.UniqueConstraint(
            "assignment_id", "user_id", name=op.f("uq_assignment_extensions_assignment_id_user_id")
        ),
        sa.UniqueConstraint(
            "assignment_id", "section", name=op.f("uq_assignment_extensions_assignment_id_section")
        ),
    )
    op.create_index(
        op.f("ix_assignment_extensions_assignment_id"), "assignment_extensions", ["assignment_id"]
    )
    op.create_table(
        "score_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_score_overrides_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["assignment_items.id"],
            name=op.f("fk_score_overrides_item_id_assignment_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_score_overrides_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_score_overrides_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_overrides")),
        sa.UniqueConstraint("item_id", "user_id", name=op.f("uq_score_overrides_item_id_user_id")),
    )
    op.create_index(op.f("ix_score_overrides_assignment_id"), "score_overrides", ["assignment_id"])
    op.create_table(
        "assignment_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("old", sa.Text(), nullable=False),
        sa.Column("new", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_audit_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_assignment_audit_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_audit")),
    )
    op.create_index(
        op.f("ix_assignment_audit_assignment_id"), "assignment_audit", ["assignment_id"]
    )

    op.create_table(
        "assignment_format_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_format_errors_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["assignment_items.id"],
            name=op.f("fk_assignment_format_errors_item_id_assignment_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assignment_format_errors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_format_errors")),
    )
    op.create_index(
        op.f("ix_assignment_format_errors_assignment_id"),
        "assignment_format_errors",
        ["assignment_id"],
    )

    op.create_table(
        "assignment_archives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("deleted_by", sa.String(length=100), nullable=False),
        sa.Column("deleted_at", UTC_DATETIME, nullable=False),
        sa.Column("export", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_archives")),
    )


def downgrade() -> None:
    op.drop_table("assignment_archives")
    op.drop_table("assignment_format_errors")
    op.drop_table("assignment_audit")
    op.drop_table("score_overrides")
    op.drop_table("assignment_extensions")
    with op.batch_alter_table("assignment_submissions") as batch:
        batch.drop_column("late")
    with op.batch_alter_table("assignment_items") as batch:
        batch.drop_column("removed_at")
    with op.batch_alter_table("assignments") as batch:
        for column in (
            "answers_release_at",
            "answers_release",
            "scores_release_at",
            "scores_release",
            "late_penalty",
            "late_until",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("section")
