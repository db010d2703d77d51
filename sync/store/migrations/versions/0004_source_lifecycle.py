"""source lifecycle and the same person elsewhere (issue 13)

- ``sources.declared``: provisioned from the TOML file; such a source gone from the file is
  retired (``retired_at``), disabled, its rows kept but out of the dashboards.
- ``sources.read_at``: when the content behind ``fingerprint`` was read; a Google source is read
  again after ``[sync] google_recheck_hours`` even when its modifiedTime has not moved.
- an index on ``roster.id_number_hash``: the same person in another street's roster is found
  by the lookup hash on every sync of a changed roster.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("declared", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_roster_id_number_hash", "roster", ["id_number_hash"])


def downgrade() -> None:
    op.drop_index("ix_roster_id_number_hash", table_name="roster")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("read_at")
        batch.drop_column("retired_at")
        batch.drop_column("declared")
