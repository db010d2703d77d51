"""initial mirror schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 21:06:08.810163
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('to', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('message', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries'))
    )
    op.create_table('issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('dataset', sa.String(length=20), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('sheet', sa.String(length=200), nullable=False),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('cell', sa.String(length=20), nullable=True),
    sa.Column('column', sa.Text(), nullable=True),
    sa.Column('field', sa.String(length=50), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('check', sa.String(length=80), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issues'))
    )
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issues_source'), ['source'], unique=False)

    op.create_table('leases',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('sheet', sa.String(length=200), nullable=False),
    sa.Column('sheet_row', sa.Integer(), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.Column('warned', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('stale', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('post_id', sa.Text(), nullable=True),
    sa.Column('community', sa.Text(), nullable=True),
    sa.Column('post_type', sa.Text(), nullable=True),
    sa.Column('post_name', sa.Text(), nullable=True),
    sa.Column('holder', sa.Text(), nullable=True),
    sa.Column('holder_phone', sa.Text(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('activities', sa.Integer(), nullable=True),
    sa.Column('service_hours', sa.Float(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    sa.UniqueConstraint('source', 'post_id', name=op.f('uq_posts_source_post_id'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posts_community'), ['community'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_source_deleted_at'), ['source', 'deleted_at'], unique=False)

    op.create_table('roster',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('sheet', sa.String(length=200), nullable=False),
    sa.Column('sheet_row', sa.Integer(), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.Column('warned', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('stale', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id_number_enc', sa.Text(), nullable=False),
    sa.Column('id_number_hash', sa.String(length=64), nullable=False),
    sa.Column('id_number_masked', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('gender', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('employer', sa.Text(), nullable=True),
    sa.Column('party_org', sa.Text(), nullable=True),
    sa.Column('community', sa.Text(), nullable=True),
    sa.Column('grid', sa.Text(), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('post_type', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster')),
    sa.UniqueConstraint('source', 'id_number_hash', name=op.f('uq_roster_source_id_number_hash'))
    )
    with op.batch_alter_table('roster', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_community'), ['community'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_registered_on'), ['registered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_source_deleted_at'), ['source', 'deleted_at'], unique=False)

    op.create_table('row_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=10), nullable=False),
    sa.Column('field', sa.String(length=50), nullable=True),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_row_history'))
    )
    with op.batch_alter_table('row_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_row_history_row_id'), ['row_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_row_history_run_id'), ['run_id'], unique=False)

    op.create_table('sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('sheet', sa.String(length=200), nullable=False),
    sa.Column('dataset', sa.String(length=20), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
    sa.Column('valid_rows', sa.Integer(), server_default='0', nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sheets')),
    sa.UniqueConstraint('source', 'sheet', name=op.f('uq_sheets_source_sheet'))
    )
    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('street', sa.String(length=100), nullable=False),
    sa.Column('district', sa.String(length=100), server_default='', nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('spreadsheet', sa.Text(), nullable=True),
    sa.Column('credentials', sa.Text(), nullable=True),
    sa.Column('api_endpoint', sa.Text(), nullable=True),
    sa.Column('sheets', sa.JSON(), nullable=True),
    sa.Column('communities', sa.JSON(), nullable=True),
    sa.Column('schedule', sa.String(length=100), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=True),
    sa.Column('notify_on', sa.String(length=20), server_default='issues', nullable=False),
    sa.Column('writeback', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('fingerprint', sa.Text(), nullable=True),
    sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_sources_name'))
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trigger', sa.String(length=20), server_default='cli', nullable=False),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('rows_read', sa.Integer(), server_default='0', nullable=False),
    sa.Column('inserted', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated', sa.Integer(), server_default='0', nullable=False),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.Column('errors', sa.Integer(), server_default='0', nullable=False),
    sa.Column('warnings', sa.Integer(), server_default='0', nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_runs_source'), ['source'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('streets', sa.JSON(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('wishes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('sheet', sa.String(length=200), nullable=False),
    sa.Column('sheet_row', sa.Integer(), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.Column('warned', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('stale', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('wish_id', sa.Text(), nullable=True),
    sa.Column('community', sa.Text(), nullable=True),
    sa.Column('wisher', sa.Text(), nullable=True),
    sa.Column('wisher_phone', sa.Text(), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('category', sa.Text(), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('claimer', sa.Text(), nullable=True),
    sa.Column('claimer_unit', sa.Text(), nullable=True),
    sa.Column('claimed_on', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wishes')),
    sa.UniqueConstraint('source', 'wish_id', name=op.f('uq_wishes_source_wish_id'))
    )
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wishes_community'), ['community'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_source_deleted_at'), ['source', 'deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wishes_status'))
        batch_op.drop_index(batch_op.f('ix_wishes_source_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_wishes_community'))

    op.drop_table('wishes')
    op.drop_table('users')
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_runs_source'))

    op.drop_table('sync_runs')
    op.drop_table('sources')
    op.drop_table('sheets')
    with op.batch_alter_table('row_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_row_history_run_id'))
        batch_op.drop_index(batch_op.f('ix_row_history_row_id'))

    op.drop_table('row_history')
    with op.batch_alter_table('roster', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_source_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_roster_registered_on'))
        batch_op.drop_index(batch_op.f('ix_roster_community'))

    op.drop_table('roster')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_source_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_posts_community'))

    op.drop_table('posts')
    op.drop_table('leases')
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issues_source'))

    op.drop_table('issues')
    op.drop_table('deliveries')
