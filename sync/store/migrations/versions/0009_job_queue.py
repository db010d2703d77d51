"""job queue: procrastinate's tables on PostgreSQL, and the shared Google request pacing

On PostgreSQL, syncs run as procrastinate jobs (jobs/queue.py); its schema is created here,
in the mirror's own schema, so one upgrade still sets everything up. SQLite gets only the
``google_quota`` table (unused there, kept so both databases have the models' schema).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

from sync.store.queue_schema import drop_queue_schema_sql, queue_schema_sql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _run_script(bind, script: str) -> None:
    # many statements, and % signs inside PL/pgSQL: psycopg runs a script only without parameters
    with bind.connection.dbapi_connection.cursor() as cursor:
        cursor.execute(script)


def upgrade() -> None:
    op.create_table("google_quota",
                    sa.Column("bucket", sa.String(length=300), nullable=False),
                    sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint("bucket", name=op.f("pk_google_quota")))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
        _run_script(bind, queue_schema_sql(schema))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _run_script(bind, drop_queue_schema_sql())
    op.drop_table("google_quota")
