"""card suspensions and tags

Per-user suspended cards (``card_suspensions``) and the tags of each card (``cards.tags``, space
separated; existing cards get none until their deck is imported again).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quiz.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_suspensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("suspended_at", quiz.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["cards.id"],
            name=op.f("fk_card_suspensions_card_id_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_card_suspensions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_suspensions")),
        sa.UniqueConstraint("user_id", "card_id", name=op.f("uq_card_suspensions_user_id_card_id")),
    )
    with op.batch_alter_table("card_suspensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_suspensions_card_id"), ["card_id"], unique=False)

    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("tags")

    with op.batch_alter_table("card_suspensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_suspensions_card_id"))

    op.drop_table("card_suspensions")
