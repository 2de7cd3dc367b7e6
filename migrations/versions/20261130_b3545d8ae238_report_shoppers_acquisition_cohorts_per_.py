"""report shoppers: acquisition cohorts per brand, currency and shopper

Revision ID: b3545d8ae238
Revises: 13f0d6a7a32b
Create Date: 2026-11-30 03:50:44.654261

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3545d8ae238'
down_revision = '13f0d6a7a32b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_shoppers',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('shopper_key', sa.String(length=32), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acquired_by', sa.Integer(), nullable=True),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('gross', sa.BigInteger(), nullable=False),
    sa.Column('refunds', sa.BigInteger(), nullable=False),
    sa.Column('first_purchase', sa.BigInteger(), nullable=False),
    sa.Column('halo', sa.BigInteger(), nullable=False),
    sa.Column('commissioned', sa.BigInteger(), nullable=False),
    sa.Column('revenue_30d', sa.BigInteger(), nullable=False),
    sa.Column('revenue_90d', sa.BigInteger(), nullable=False),
    sa.Column('revenue_365d', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['acquired_by'], ['influencer_profiles.id'], name=op.f('fk_report_shoppers_acquired_by_influencer_profiles')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_report_shoppers_brand_id_brands')),
    sa.PrimaryKeyConstraint('brand_id', 'currency', 'shopper_key', name=op.f('pk_report_shoppers'))
    )
    with op.batch_alter_table('report_shoppers', schema=None) as batch_op:
        batch_op.create_index('ix_report_shoppers_brand_id_currency_first_at', ['brand_id', 'currency', 'first_at'], unique=False)


def downgrade():
    with op.batch_alter_table('report_shoppers', schema=None) as batch_op:
        batch_op.drop_index('ix_report_shoppers_brand_id_currency_first_at')

    op.drop_table('report_shoppers')
