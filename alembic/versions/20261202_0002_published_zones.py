"""published dates keep their zone; the discovery date of a raw page

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('raw_pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed_at', sa.String(length=40), nullable=True))
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_timezone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('source_timezone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('source_timezone')
        batch_op.drop_column('published_timezone')
    with op.batch_alter_table('raw_pages', schema=None) as batch_op:
        batch_op.drop_column('listed_at')
