"""commission ledger, influencer terms, payout accounts, payouts and settlements

Revision ID: ec549f2f0570
Revises: d70d35961098
Create Date: 2026-11-29 21:42:53.569940

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ec549f2f0570'
down_revision = 'd70d35961098'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('influencer_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('commission_bps', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('commission_bps BETWEEN 0 AND 10000', name=op.f('ck_influencer_terms_commission_bps_range')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_influencer_terms_brand_id_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_influencer_terms_influencer_id_influencer_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_influencer_terms_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_influencer_terms'))
    )
    with op.batch_alter_table('influencer_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_influencer_terms_influencer_id'), ['influencer_id'], unique=False)
        batch_op.create_index('uq_influencer_terms_brand_influencer', ['brand_id', 'influencer_id'], unique=True, postgresql_where=sa.text('product_id IS NULL'), sqlite_where=sa.text('product_id IS NULL'))
        batch_op.create_index('uq_influencer_terms_brand_influencer_product', ['brand_id', 'influencer_id', 'product_id'], unique=True)

    op.create_table('payout_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=True),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.Column('stripe_account_id', sa.String(length=255), nullable=False),
    sa.Column('details_submitted', sa.Boolean(), nullable=False),
    sa.Column('payouts_enabled', sa.Boolean(), nullable=False),
    sa.Column('transfers_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(influencer_id IS NULL) <> (brand_id IS NULL)', name=op.f('ck_payout_accounts_one_payee')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_payout_accounts_brand_id_brands')),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_payout_accounts_influencer_id_influencer_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_accounts')),
    sa.UniqueConstraint('brand_id', name=op.f('uq_payout_accounts_brand_id')),
    sa.UniqueConstraint('influencer_id', name=op.f('uq_payout_accounts_influencer_id')),
    sa.UniqueConstraint('stripe_account_id', name=op.f('uq_payout_accounts_stripe_account_id'))
    )
    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=True),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('processing', 'paid', 'failed', name='payout_status', native_enum=False, length=12), nullable=False),
    sa.Column('destination', sa.String(length=255), nullable=False),
    sa.Column('transfer_id', sa.String(length=255), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(influencer_id IS NULL) <> (brand_id IS NULL)', name=op.f('ck_payouts_one_payee')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payouts_amount_positive')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_payouts_brand_id_brands')),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_payouts_influencer_id_influencer_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_payouts_transfer_id'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index('ix_payouts_brand_id', ['brand_id'], unique=False)
        batch_op.create_index('ix_payouts_influencer_id', ['influencer_id'], unique=False)
        batch_op.create_index('uq_payouts_processing_brand', ['brand_id', 'currency'], unique=True, postgresql_where=sa.text("status = 'processing' AND brand_id IS NOT NULL"), sqlite_where=sa.text("status = 'processing' AND brand_id IS NOT NULL"))
        batch_op.create_index('uq_payouts_processing_influencer', ['influencer_id', 'currency'], unique=True, postgresql_where=sa.text("status = 'processing' AND influencer_id IS NOT NULL"), sqlite_where=sa.text("status = 'processing' AND influencer_id IS NOT NULL"))

    op.create_table('settlement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_settlement_lines_brand_id_brands')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_settlement_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_settlement_lines_payout_id_payouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_lines'))
    )
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_lines_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_lines_payout_id'), ['payout_id'], unique=False)

    op.create_table('commission_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('sale', 'refund', name='commission_kind', native_enum=False, length=8), nullable=False),
    sa.Column('state', sa.Enum('pending', 'approved', 'held', 'paid', 'canceled', name='commission_state', native_enum=False, length=10), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('basis_amount', sa.BigInteger(), nullable=False),
    sa.Column('fraction_ppm', sa.Integer(), nullable=False),
    sa.Column('rate_bps', sa.Integer(), nullable=False),
    sa.Column('rate_source', sa.Enum('influencer_product', 'influencer', 'product', 'brand_default', name='commission_rate_source', native_enum=False, length=20), nullable=False),
    sa.Column('hold_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_reason', sa.String(length=500), nullable=True),
    sa.Column('self_referral', sa.Boolean(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'refund' OR reverses_id IS NOT NULL", name=op.f('ck_commission_lines_refund_reverses_a_sale')),
    sa.CheckConstraint("kind <> 'sale' OR amount >= 0", name=op.f('ck_commission_lines_sale_not_negative')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_commission_lines_brand_id_brands')),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_commission_lines_influencer_id_influencer_profiles')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_commission_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_commission_lines_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_commission_lines_payout_id_payouts')),
    sa.ForeignKeyConstraint(['reverses_id'], ['commission_lines.id'], name=op.f('fk_commission_lines_reverses_id_commission_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_lines'))
    )
    with op.batch_alter_table('commission_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commission_lines_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index('ix_commission_lines_influencer_state', ['influencer_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_lines_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_lines_reverses_id'), ['reverses_id'], unique=False)
        batch_op.create_index('ix_commission_lines_state_hold_until', ['state', 'hold_until'], unique=False)
        batch_op.create_index('uq_commission_lines_live_sale', ['order_line_id', 'influencer_id'], unique=True, postgresql_where=sa.text("kind = 'sale' AND state <> 'canceled'"), sqlite_where=sa.text("kind = 'sale' AND state <> 'canceled'"))

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commission_source', sa.String(length=16), server_default='brand_default', nullable=False))



def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('commission_source')

    with op.batch_alter_table('commission_lines', schema=None) as batch_op:
        batch_op.drop_index('uq_commission_lines_live_sale', postgresql_where=sa.text("kind = 'sale' AND state <> 'canceled'"), sqlite_where=sa.text("kind = 'sale' AND state <> 'canceled'"))
        batch_op.drop_index('ix_commission_lines_state_hold_until')
        batch_op.drop_index(batch_op.f('ix_commission_lines_reverses_id'))
        batch_op.drop_index(batch_op.f('ix_commission_lines_payout_id'))
        batch_op.drop_index(batch_op.f('ix_commission_lines_order_id'))
        batch_op.drop_index('ix_commission_lines_influencer_state')
        batch_op.drop_index(batch_op.f('ix_commission_lines_brand_id'))

    op.drop_table('commission_lines')
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_lines_payout_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_lines_order_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_lines_brand_id'))

    op.drop_table('settlement_lines')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('uq_payouts_processing_influencer', postgresql_where=sa.text("status = 'processing' AND influencer_id IS NOT NULL"), sqlite_where=sa.text("status = 'processing' AND influencer_id IS NOT NULL"))
        batch_op.drop_index('uq_payouts_processing_brand', postgresql_where=sa.text("status = 'processing' AND brand_id IS NOT NULL"), sqlite_where=sa.text("status = 'processing' AND brand_id IS NOT NULL"))
        batch_op.drop_index('ix_payouts_influencer_id')
        batch_op.drop_index('ix_payouts_brand_id')

    op.drop_table('payouts')
    op.drop_table('payout_accounts')
    with op.batch_alter_table('influencer_terms', schema=None) as batch_op:
        batch_op.drop_index('uq_influencer_terms_brand_influencer_product')
        batch_op.drop_index('uq_influencer_terms_brand_influencer', postgresql_where=sa.text('product_id IS NULL'), sqlite_where=sa.text('product_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_influencer_terms_influencer_id'))

    op.drop_table('influencer_terms')
