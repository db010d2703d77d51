"""summary table: the dashboards' counts and sums per source, community and month (and post type)

The overview's queries took 0.66–0.70 s on a million-row mirror reading the data tables (even
through the covering indexes of 0002); they read this table instead, which the sync keeps in step
inside each source's transaction (sync/store/summary.py). Filled here from the rows already in
the mirror.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

from sync.store.summary import refresh_summary

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COUNTS = ("members", "wishes", "claimed", "completed", "posts", "staffed", "vacant", "revoked", "activities")


def upgrade() -> None:
    op.create_table(
        "summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("community", sa.Text(), nullable=True),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("post_type", sa.String(length=20), nullable=True),
        *(sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False) for name in COUNTS),
        sa.Column("service_hours", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary")),
    )
    op.create_index(op.f("ix_summary_source"), "summary", ["source"], unique=False)
    refresh_summary(op.get_bind())


def downgrade() -> None:
    op.drop_index(op.f("ix_summary_source"), table_name="summary")
    op.drop_table("summary")
