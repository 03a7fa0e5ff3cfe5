"""robots.txt kept per host (the last copy read and its failures); article marks

Marks are the extraction flags that need a reader (encoding_suspect), as rows the review
queue can find on an index. Existing mis-decoded articles are marked and, when no rule
matched them, put in the queue as new.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.store.models

revision = '0004'
down_revision = "0003"
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

    op.create_table('article_marks',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('mark', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'mark')
    )
    suspect = "CAST(flags AS TEXT) LIKE '%\"encoding_suspect\"%'"
    op.execute(
        "INSERT INTO article_marks (article_id, mark) "
        f"SELECT id, 'encoding_suspect' FROM articles WHERE {suspect}"
    )
    op.execute(f"UPDATE articles SET review_state = 'new' WHERE review_state = 'unflagged' AND {suspect}")


def downgrade() -> None:
    op.drop_table('article_marks')
    with op.batch_alter_table('robots_txt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_robots_txt_source_key'))

    op.drop_table('robots_txt')
