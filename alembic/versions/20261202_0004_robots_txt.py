"""robots.txt kept per host: the last copy read and its failures

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.store.models

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('robots_txt',
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('source_key', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('fetched_at', monitor.store.models.UTCDateTime(), nullable=True),
    sa.Column('checked_at', monitor.store.models.UTCDateTime(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('failing_since', monitor.store.models.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('host')
    )
    with op.batch_alter_table('robots_txt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_robots_txt_source_key'), ['source_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('robots_txt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_robots_txt_source_key'))

    op.drop_table('robots_txt')
