"""server secret: the key of the assignment-variant seeds; practice attempts by time

``server_secrets`` holds random keys the server never shows, one row per purpose: the
``assignment-seeds`` key makes every student's assignment variant unpredictable without it
(``quiz.services.assignments.assignment_seed``). No row is written here: the first Stride process
to start creates it (``quiz.store.server_secret``), so every replica on one database shares it.

``ix_attempts_user_source_time`` on ``attempts (user_id, source, created_at)`` lets Practice count
a student's checks in the last minute (its rate limit) from a few index entries.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quiz.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.LargeBinary(length=64), nullable=False),
        sa.Column("created_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )
    op.create_index(
        "ix_attempts_user_source_time",
        "attempts",
        ["user_id", "source", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_attempts_user_source_time", table_name="attempts")
    op.drop_table("server_secrets")
