"""report rollups and shoppers' consent to be named

Revision ID: 726b727d800e
Revises: dc667d39bc49
Create Date: 2026-11-30 01:02:22.232747

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '726b727d800e'
down_revision = 'dc667d39bc49'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_watermarks',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_report_watermarks'))
    )
    op.create_table('report_stale_orders',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_report_stale_orders_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_report_stale_orders'))
    )
    op.create_table('report_click_hours',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_report_click_hours_link_id_share_links')),
    sa.PrimaryKeyConstraint('hour', 'link_id', name=op.f('pk_report_click_hours'))
    )
    with op.batch_alter_table('report_click_hours', schema=None) as batch_op:
        batch_op.create_index('ix_report_click_hours_link_id_hour', ['link_id', 'hour'], unique=False)

    op.create_table('report_sales',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('storefront_id', sa.Integer(), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('shopper_key', sa.String(length=32), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=True),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('rate_bps', sa.Integer(), nullable=False),
    sa.Column('commissions', sa.BigInteger(), nullable=False),
    sa.Column('credited_ppm', sa.Integer(), nullable=False),
    sa.Column('credited_gross', sa.BigInteger(), nullable=False),
    sa.Column('credited_refunds', sa.BigInteger(), nullable=False),
    sa.Column('credited_units', sa.Integer(), nullable=False),
    sa.Column('last_click_ppm', sa.Integer(), nullable=False),
    sa.Column('last_click_gross', sa.BigInteger(), nullable=False),
    sa.Column('last_click_refunds', sa.BigInteger(), nullable=False),
    sa.Column('last_click_units', sa.Integer(), nullable=False),
    sa.Column('first_click_ppm', sa.Integer(), nullable=False),
    sa.Column('first_click_gross', sa.BigInteger(), nullable=False),
    sa.Column('first_click_refunds', sa.BigInteger(), nullable=False),
    sa.Column('first_click_units', sa.Integer(), nullable=False),
    sa.Column('linear_ppm', sa.Integer(), nullable=False),
    sa.Column('linear_gross', sa.BigInteger(), nullable=False),
    sa.Column('linear_refunds', sa.BigInteger(), nullable=False),
    sa.Column('linear_units', sa.Integer(), nullable=False),
    sa.Column('time_decay_ppm', sa.Integer(), nullable=False),
    sa.Column('time_decay_gross', sa.BigInteger(), nullable=False),
    sa.Column('time_decay_refunds', sa.BigInteger(), nullable=False),
    sa.Column('time_decay_units', sa.Integer(), nullable=False),
    sa.Column('position_based_ppm', sa.Integer(), nullable=False),
    sa.Column('position_based_gross', sa.BigInteger(), nullable=False),
    sa.Column('position_based_refunds', sa.BigInteger(), nullable=False),
    sa.Column('position_based_units', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_report_sales_brand_id_brands')),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_report_sales_influencer_id_influencer_profiles')),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_report_sales_link_id_share_links')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_report_sales_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_report_sales_order_line_id_order_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_report_sales_product_id_products')),
    sa.ForeignKeyConstraint(['storefront_id'], ['storefronts.id'], name=op.f('fk_report_sales_storefront_id_storefronts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_sales'))
    )
    with op.batch_alter_table('report_sales', schema=None) as batch_op:
        batch_op.create_index('ix_report_sales_brand_id_paid_at', ['brand_id', 'paid_at'], unique=False)
        batch_op.create_index('ix_report_sales_brand_id_shopper_key_paid_at', ['brand_id', 'shopper_key', 'paid_at'], unique=False)
        batch_op.create_index('ix_report_sales_influencer_id_paid_at', ['influencer_id', 'paid_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_sales_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_with_influencers', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('share_with_influencers')

    with op.batch_alter_table('report_sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_sales_order_id'))
        batch_op.drop_index('ix_report_sales_influencer_id_paid_at')
        batch_op.drop_index('ix_report_sales_brand_id_shopper_key_paid_at')
        batch_op.drop_index('ix_report_sales_brand_id_paid_at')

    op.drop_table('report_sales')
    with op.batch_alter_table('report_click_hours', schema=None) as batch_op:
        batch_op.drop_index('ix_report_click_hours_link_id_hour')

    op.drop_table('report_click_hours')
    op.drop_table('report_stale_orders')
    op.drop_table('report_watermarks')
