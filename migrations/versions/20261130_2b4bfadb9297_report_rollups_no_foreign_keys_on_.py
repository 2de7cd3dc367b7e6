"""report rollups: no foreign keys on report_sales and the cohort tables

These rows are derived: the rollup job writes them from the orders, lines, shares and
ledger rows it has just read under the orders' locks, and ``flask reports rebuild``
recomputes them from those. The keys checked what was true by construction, one parent
lookup per key per inserted row: about three quarters of the time of inserting a batch's
report_sales rows (docs/benchmarks.md, the rollup job).

Revision ID: 2b4bfadb9297
Revises: d0012cda9e72
Create Date: 2026-11-30 06:33:18.683863

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2b4bfadb9297'
down_revision = 'd0012cda9e72'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_sales', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_sales_link_id_share_links'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_report_sales_storefront_id_storefronts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_report_sales_order_line_id_order_lines'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_report_sales_brand_id_brands'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_report_sales_influencer_id_influencer_profiles'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_report_sales_product_id_products'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_report_sales_order_id_orders'), type_='foreignkey')

    with op.batch_alter_table('report_shopper_products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_shopper_products_product_id_products'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_report_shopper_products_brand_id_brands'), type_='foreignkey')

    with op.batch_alter_table('report_shoppers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_shoppers_brand_id_brands'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_report_shoppers_acquired_by_influencer_profiles'), type_='foreignkey')


def downgrade():
    with op.batch_alter_table('report_shoppers', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_report_shoppers_acquired_by_influencer_profiles'), 'influencer_profiles', ['acquired_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_report_shoppers_brand_id_brands'), 'brands', ['brand_id'], ['id'])

    with op.batch_alter_table('report_shopper_products', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_report_shopper_products_brand_id_brands'), 'brands', ['brand_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_report_shopper_products_product_id_products'), 'products', ['product_id'], ['id'])

    with op.batch_alter_table('report_sales', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_report_sales_order_id_orders'), 'orders', ['order_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_report_sales_product_id_products'), 'products', ['product_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_report_sales_influencer_id_influencer_profiles'), 'influencer_profiles', ['influencer_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_report_sales_brand_id_brands'), 'brands', ['brand_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_report_sales_order_line_id_order_lines'), 'order_lines', ['order_line_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_report_sales_storefront_id_storefronts'), 'storefronts', ['storefront_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_report_sales_link_id_share_links'), 'share_links', ['link_id'], ['id'])
