"""meta: facts about the mirror itself; first the check value of the personal-data key

A start with a lost or different key used to make a new one silently: the ID numbers already
stored could never be decrypted again. The check value (an HMAC of a constant under a key
derived from the master key) lets every start and every sync tell (issue 14).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("name", name="pk_meta"),
    )


def downgrade() -> None:
    op.drop_table("meta")
