"""Alembic environment: the engine comes from the caller (sync.store.db.upgrade), never from a file."""

from alembic import context

from sync.store.models import metadata
from sync.store.queue_schema import include_name

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True, include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
