"""report totals, click rollups per link and day or month, per brand and hour

Revision ID: 13f0d6a7a32b
Revises: 969b71324b9d
Create Date: 2026-11-30 03:36:51.521241

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '13f0d6a7a32b'
down_revision = '969b71324b9d'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # Unique visitors as HyperLogLog sketches where the server has the extension
        # (marketplace/reports/sketches.py); without it, reports count the raw clicks.
        op.execute("DO $$ BEGIN IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'hll') "
                   "THEN CREATE EXTENSION IF NOT EXISTS hll; END IF; END $$")
    op.create_table('report_brand_click_hours',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('visitors', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_report_brand_click_hours_brand_id_brands')),
    sa.PrimaryKeyConstraint('brand_id', 'hour', name=op.f('pk_report_brand_click_hours'))
    )
    op.create_table('report_sale_totals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('dim', sa.String(length=10), nullable=False),
    sa.Column('unit', sa.String(length=5), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=True),
    sa.Column('credited_orders', sa.BigInteger(), nullable=False),
    sa.Column('credited_units', sa.BigInteger(), nullable=False),
    sa.Column('credited_gross', sa.BigInteger(), nullable=False),
    sa.Column('credited_refunds', sa.BigInteger(), nullable=False),
    sa.Column('last_click_orders', sa.BigInteger(), nullable=False),
    sa.Column('last_click_units', sa.BigInteger(), nullable=False),
    sa.Column('last_click_gross', sa.BigInteger(), nullable=False),
    sa.Column('last_click_refunds', sa.BigInteger(), nullable=False),
    sa.Column('first_click_orders', sa.BigInteger(), nullable=False),
    sa.Column('first_click_units', sa.BigInteger(), nullable=False),
    sa.Column('first_click_gross', sa.BigInteger(), nullable=False),
    sa.Column('first_click_refunds', sa.BigInteger(), nullable=False),
    sa.Column('linear_orders', sa.BigInteger(), nullable=False),
    sa.Column('linear_units', sa.BigInteger(), nullable=False),
    sa.Column('linear_gross', sa.BigInteger(), nullable=False),
    sa.Column('linear_refunds', sa.BigInteger(), nullable=False),
    sa.Column('time_decay_orders', sa.BigInteger(), nullable=False),
    sa.Column('time_decay_units', sa.BigInteger(), nullable=False),
    sa.Column('time_decay_gross', sa.BigInteger(), nullable=False),
    sa.Column('time_decay_refunds', sa.BigInteger(), nullable=False),
    sa.Column('position_based_orders', sa.BigInteger(), nullable=False),
    sa.Column('position_based_units', sa.BigInteger(), nullable=False),
    sa.Column('position_based_gross', sa.BigInteger(), nullable=False),
    sa.Column('position_based_refunds', sa.BigInteger(), nullable=False),
    sa.Column('credited_commissions', sa.BigInteger(), nullable=False),
    sa.Column('last_click_rate_revenue', sa.BigInteger(), nullable=False),
    sa.Column('first_click_rate_revenue', sa.BigInteger(), nullable=False),
    sa.Column('linear_rate_revenue', sa.BigInteger(), nullable=False),
    sa.Column('time_decay_rate_revenue', sa.BigInteger(), nullable=False),
    sa.Column('position_based_rate_revenue', sa.BigInteger(), nullable=False),
    sa.Column('orders', sa.BigInteger(), nullable=False),
    sa.Column('organic_orders', sa.BigInteger(), nullable=False),
    sa.Column('organic_units', sa.BigInteger(), nullable=False),
    sa.Column('organic_gross', sa.BigInteger(), nullable=False),
    sa.Column('organic_refunds', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_report_sale_totals_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_sale_totals'))
    )
    with op.batch_alter_table('report_sale_totals', schema=None) as batch_op:
        batch_op.create_index('ix_report_sale_totals_span', ['brand_id', 'currency', 'dim', 'unit', 'start', 'key'], unique=True, postgresql_nulls_not_distinct=True)

    op.create_table('report_link_brands',
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_report_link_brands_brand_id_brands')),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_report_link_brands_link_id_share_links')),
    sa.PrimaryKeyConstraint('link_id', 'brand_id', name=op.f('pk_report_link_brands'))
    )
    with op.batch_alter_table('report_link_brands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_link_brands_brand_id'), ['brand_id'], unique=False)

    op.create_table('report_link_clicks',
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=5), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('visitors', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_report_link_clicks_link_id_share_links')),
    sa.PrimaryKeyConstraint('link_id', 'unit', 'start', name=op.f('pk_report_link_clicks'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index('ix_clicks_occurred_at', ['occurred_at'], unique=False)



def downgrade():
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_index('ix_clicks_occurred_at')

    op.drop_table('report_link_clicks')
    with op.batch_alter_table('report_link_brands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_link_brands_brand_id'))

    op.drop_table('report_link_brands')
    with op.batch_alter_table('report_sale_totals', schema=None) as batch_op:
        batch_op.drop_index('ix_report_sale_totals_span', postgresql_nulls_not_distinct=True)

    op.drop_table('report_sale_totals')
    op.drop_table('report_brand_click_hours')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP EXTENSION IF EXISTS hll")
