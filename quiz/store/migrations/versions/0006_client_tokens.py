"""client tokens on answers

``review_log.client_token`` and ``attempts.client_token``: the idempotency key a page sends with
an answer, unique per user, so a double click or a resend records the answer once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("review_log", "attempts")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("client_token", sa.String(length=64), nullable=True))
            batch.create_unique_constraint(
                op.f(f"uq_{table}_user_id_client_token"), ["user_id", "client_token"]
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"uq_{table}_user_id_client_token"), type_="unique")
            batch.drop_column("client_token")
