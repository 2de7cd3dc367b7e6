"""report click hours: the link index covers the clicks

An influencer's performance report by day read a year of their links' hours through
(link_id, hour), then each row from the heap: 208 ms for the benchmark's top influencer
(400,000 link-hours), 45 ms as an index-only scan. Autogenerate does not compare an index's
INCLUDE columns; written by hand. PostgreSQL only (SQLite has no INCLUDE).

Revision ID: 7ba8e936f9db
Revises: 8da458dac72b
Create Date: 2026-11-30 09:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7ba8e936f9db'
down_revision = '8da458dac72b'
branch_labels = None
depends_on = None


def _index(include):
    with op.batch_alter_table('report_click_hours', schema=None) as batch_op:
        batch_op.drop_index('ix_report_click_hours_link_id_hour')
        batch_op.create_index('ix_report_click_hours_link_id_hour', ['link_id', 'hour'], unique=False,
                              postgresql_include=include)


def upgrade():
    _index(['clicks'])


def downgrade():
    _index([])
