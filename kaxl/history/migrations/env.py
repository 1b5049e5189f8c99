"""Alembic's environment for the history store: always run by kaxl on a connection it opened.

kaxl calls Alembic programmatically (kaxl.history.store.migrate) inside the transaction that
also checks the store's revision, so a store is never half-migrated and never touched when it
was written by a newer kaxl.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
