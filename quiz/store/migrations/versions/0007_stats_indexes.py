"""indexes for the Statistics page

``ix_attempts_user_outcome`` on ``attempts (user_id, family, mistake, correct, created_at)``
covers the page's exercise aggregates (attempts, accuracy per week, frequent mistakes): they read
the index alone, in its order, instead of looking up every attempt's row.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_attempts_user_outcome",
        "attempts",
        ["user_id", "family", "mistake", "correct", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_attempts_user_outcome", table_name="attempts")
