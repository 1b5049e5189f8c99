"""Alembic migrations of the history store (docs/history.md): run forward on open by kaxl.history.store."""
