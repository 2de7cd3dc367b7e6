"""report influencer products: the reorder rate per influencer, in place of report shopper products

The relationships report read its reorder rate from a distinct of every credited sale of
the period (report_sales) joined to report_shopper_products: 0.7 s for the biggest brand of
the benchmark's year. report_influencer_products keeps, per influencer, shopper and product,
the first credited sale and whether the shopper bought the product again, so the report
reads the pairs first sold in the period from one index. The new table starts empty, like
any rollup added: run ``flask reports rebuild`` after upgrading.

Revision ID: b4e5b7bc5946
Revises: 2b4bfadb9297
Create Date: 2026-11-30 06:38:19.674092

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b4e5b7bc5946'
down_revision = '2b4bfadb9297'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_influencer_products',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('shopper_key', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reordered', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('brand_id', 'shopper_key', 'currency', 'influencer_id', 'product_id', name=op.f('pk_report_influencer_products'))
    )
    with op.batch_alter_table('report_influencer_products', schema=None) as batch_op:
        batch_op.create_index('ix_report_influencer_products_brand_id_currency_first_at', ['brand_id', 'currency', 'first_at'], unique=False, postgresql_include=('influencer_id', 'product_id', 'reordered'))

    op.drop_table('report_shopper_products')

def downgrade():
    op.create_table('report_shopper_products',
    sa.Column('brand_id', sa.INTEGER(), autoincrement=False, nullable=False),
    sa.Column('currency', sa.VARCHAR(length=3), autoincrement=False, nullable=False),
    sa.Column('shopper_key', sa.VARCHAR(length=32), autoincrement=False, nullable=False),
    sa.Column('product_id', sa.INTEGER(), autoincrement=False, nullable=False),
    sa.Column('second_last_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True),
    sa.PrimaryKeyConstraint('brand_id', 'currency', 'shopper_key', 'product_id', name=op.f('pk_report_shopper_products'))
    )
    with op.batch_alter_table('report_influencer_products', schema=None) as batch_op:
        batch_op.drop_index('ix_report_influencer_products_brand_id_currency_first_at', postgresql_include=('influencer_id', 'product_id', 'reordered'))

    op.drop_table('report_influencer_products')