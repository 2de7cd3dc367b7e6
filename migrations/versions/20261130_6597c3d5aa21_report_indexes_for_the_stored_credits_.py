"""report indexes for the stored credits' rows

Revision ID: 6597c3d5aa21
Revises: 726b727d800e
Create Date: 2026-11-30 01:53:38.281453

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6597c3d5aa21'
down_revision = '726b727d800e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_sales_brand_id_shopper_key_paid_at'))
        batch_op.drop_index(batch_op.f('ix_report_sales_influencer_id_paid_at'))
        batch_op.create_index('ix_report_sales_counted_brand_id_paid_at', ['brand_id', 'paid_at'], unique=False, postgresql_where=sa.text('credited_ppm > 0 OR influencer_id IS NULL'), sqlite_where=sa.text('credited_ppm > 0 OR influencer_id IS NULL'), postgresql_include=['currency', 'influencer_id', 'link_id', 'product_id', 'storefront_id', 'order_id', 'credited_ppm', 'credited_gross', 'credited_refunds', 'credited_units', 'commissions', 'shopper_key'])
        batch_op.create_index('ix_report_sales_counted_brand_id_shopper_key_paid_at', ['brand_id', 'shopper_key', 'paid_at'], unique=False, postgresql_where=sa.text('credited_ppm > 0 OR influencer_id IS NULL'), sqlite_where=sa.text('credited_ppm > 0 OR influencer_id IS NULL'))
        batch_op.create_index('ix_report_sales_credited_influencer_id_paid_at', ['influencer_id', 'paid_at'], unique=False, postgresql_where=sa.text('credited_ppm > 0'), sqlite_where=sa.text('credited_ppm > 0'))


def downgrade():
    with op.batch_alter_table('report_sales', schema=None) as batch_op:
        batch_op.drop_index('ix_report_sales_credited_influencer_id_paid_at', postgresql_where=sa.text('credited_ppm > 0'), sqlite_where=sa.text('credited_ppm > 0'))
        batch_op.drop_index('ix_report_sales_counted_brand_id_shopper_key_paid_at', postgresql_where=sa.text('credited_ppm > 0 OR influencer_id IS NULL'), sqlite_where=sa.text('credited_ppm > 0 OR influencer_id IS NULL'))
        batch_op.drop_index('ix_report_sales_counted_brand_id_paid_at', postgresql_where=sa.text('credited_ppm > 0 OR influencer_id IS NULL'), sqlite_where=sa.text('credited_ppm > 0 OR influencer_id IS NULL'))
        batch_op.create_index(batch_op.f('ix_report_sales_influencer_id_paid_at'), ['influencer_id', 'paid_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_sales_brand_id_shopper_key_paid_at'), ['brand_id', 'shopper_key', 'paid_at'], unique=False)
