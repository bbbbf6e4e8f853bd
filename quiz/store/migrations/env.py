"""Alembic environment: runs migrations on the engine handed over by ``quiz.store.migrate``.

On SQLite, batch mode rebuilds a table by copying it and dropping the old one. With foreign keys
enforced, that drop would first delete every row and fire the ``ON DELETE`` actions of the
tables that refer to it (``attempts.review_id`` set to NULL when ``review_log`` is rebuilt), so
foreign keys are switched off for the migration (SQLite's own recipe for schema changes) and
``PRAGMA foreign_key_check`` must find nothing before it commits.
"""

from __future__ import annotations

from alembic import context

from quiz.store.models import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver = connection.connection.driver_connection  # no transaction begun yet
    if sqlite:
        driver.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=True,  # SQLite can't ALTER most things; batch recreates tables
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            driver.execute("PRAGMA foreign_keys=ON")
