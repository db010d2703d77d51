"""mask stored text: ID numbers and phones in issues and row history, whichever column they came from

Issue values and messages, and the history of non-personal fields, were stored as typed: a
phone shifted into 性别, an ID typed into 姓名 or a phone in 备注 stayed in full (issue 14). New
ones are masked as they are made; this masks those already stored. Not reversible.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

from sync.check.privacy import mask_text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CHUNK = 5000
# table -> (column, masks landlines too): our own messages quote an example landline
COLUMNS = {"issues": (("value", True), ("message", False)), "row_history": (("old", True), ("new", True))}


def upgrade() -> None:
    conn = op.get_bind()
    for name, columns in COLUMNS.items():
        table = sa.table(name, sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c, _ in columns))
        last = 0
        while True:
            rows = conn.execute(sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(CHUNK)).all()
            if not rows:
                break
            last = rows[-1].id
            changed = []
            for row in rows:
                masked = {c: mask_text(row._mapping[c], landlines=landlines) for c, landlines in columns}
                if any(masked[c] != row._mapping[c] for c, _ in columns):
                    changed.append({"_id": row.id, **masked})
            if changed:
                conn.execute(table.update().where(table.c.id == sa.bindparam("_id"))
                             .values({c: sa.bindparam(c) for c, _ in columns}), changed)


def downgrade() -> None:
    pass  # masked values cannot be unmasked; the sheets still hold them
