"""report sales: the influencer index covers what the influencer views read

An influencer's performance report read a year of their credited rows through
(influencer_id, paid_at), then each row from the heap: about 0.4 s per statement for the
benchmark's top influencer. The index now carries the columns those statements read
(index-only scans). Autogenerate does not compare an index's INCLUDE columns; written by
hand. PostgreSQL only (SQLite has no INCLUDE).

Revision ID: d5e73688653a
Revises: f11b8a2abb4d
Create Date: 2026-11-30 07:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e73688653a'
down_revision = 'f11b8a2abb4d'
branch_labels = None
depends_on = None

COLUMNS = ["currency", "brand_id", "link_id", "product_id", "storefront_id", "order_id", "credited_ppm",
           "credited_gross", "credited_refunds", "credited_units", "commissions"]


def _index(include):
    with op.batch_alter_table('report_sales', schema=None) as batch_op:
        batch_op.drop_index('ix_report_sales_credited_influencer_id_paid_at')
        batch_op.create_index('ix_report_sales_credited_influencer_id_paid_at', ['influencer_id', 'paid_at'], unique=False,
                              postgresql_where=sa.text('credited_ppm > 0'), sqlite_where=sa.text('credited_ppm > 0'),
                              postgresql_include=include)


def upgrade():
    _index(COLUMNS)


def downgrade():
    _index([])
