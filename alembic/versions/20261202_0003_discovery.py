"""discovery: links, per-kind counts and problems of a crawl run; web-archive capture time

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.store.models

revision = '0003'
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('links', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('paths', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('problems', sa.JSON(), nullable=True))
    with op.batch_alter_table('raw_pages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('captured_at', monitor.store.models.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('raw_pages', schema=None) as batch_op:
        batch_op.drop_column('captured_at')
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_column('problems')
        batch_op.drop_column('paths')
        batch_op.drop_column('links')
