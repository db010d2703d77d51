"""dashboard indexes: covering indexes over the live rows for the overview's aggregates

On a million-row mirror the overview's SQL took about 5 s with only the 0001 indexes (every
aggregate read the wide table rows); with these it reads the indexes alone, about 1 s for
every street and 0.1 s for one street (bench/overview_queries.py).

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_roster_live": ("roster", ["deleted_at", "source", "community", "registered_on"]),
    "ix_wishes_live": ("wishes", ["deleted_at", "source", "community", "status", "raised_on", "claimed_on",
                                  "completed_on"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
