"""Alembic environment: runs migrations on the engine handed over by ``quiz.store.migrate``."""

from __future__ import annotations

from alembic import context

from quiz.store.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can't ALTER most things; batch mode recreates tables
    )
    with context.begin_transaction():
        context.run_migrations()
