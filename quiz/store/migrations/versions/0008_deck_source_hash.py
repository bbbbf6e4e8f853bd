"""the source file's hash on each deck

``decks.source_hash`` is the SHA-256 of the file a deck was last imported from. Starting the app
compares it with each built-in deck file and parses (and re-imports) only a file that changed,
instead of parsing every built-in deck (seconds: it samples exercise ranges) at every start.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decks", schema=None) as batch_op:
        batch_op.drop_column("source_hash")
