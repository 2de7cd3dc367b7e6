"""report shopper products: who bought a product again

Revision ID: d0012cda9e72
Revises: b3545d8ae238
Create Date: 2026-11-30 04:01:39.545813

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0012cda9e72'
down_revision = 'b3545d8ae238'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_shopper_products',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('shopper_key', sa.String(length=32), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('second_last_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_report_shopper_products_brand_id_brands')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_report_shopper_products_product_id_products')),
    sa.PrimaryKeyConstraint('brand_id', 'currency', 'shopper_key', 'product_id', name=op.f('pk_report_shopper_products'))
    )


def downgrade():
    op.drop_table('report_shopper_products')
