"""share links, clicks and attribution credits

Revision ID: d70d35961098
Revises: dcef238f0643
Create Date: 2026-11-23 13:58:07.128353

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd70d35961098'
down_revision = 'dcef238f0643'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('order_attributions',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=20), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_attributions_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_attributions'))
    )
    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('storefront_id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('storefront_item_id', sa.Integer(), nullable=True),
    sa.Column('influencer_id', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_by_visitor', sa.String(length=64), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('campaign', sa.String(length=100), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_share_links_collection_id_collections'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_share_links_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_share_links_influencer_id_influencer_profiles')),
    sa.ForeignKeyConstraint(['parent_id'], ['share_links.id'], name=op.f('fk_share_links_parent_id_share_links')),
    sa.ForeignKeyConstraint(['storefront_id'], ['storefronts.id'], name=op.f('fk_share_links_storefront_id_storefronts')),
    sa.ForeignKeyConstraint(['storefront_item_id'], ['storefront_items.id'], name=op.f('fk_share_links_storefront_item_id_storefront_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_links')),
    sa.UniqueConstraint('code', name=op.f('uq_share_links_code'))
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_influencer_id'), ['influencer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_storefront_id'), ['storefront_id'], unique=False)

    op.create_table('attribution_credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=False),
    sa.Column('fraction_ppm', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('model', sa.String(length=20), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('discount_code_id', sa.Integer(), nullable=True),
    sa.Column('self_referral', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('fraction_ppm > 0 AND fraction_ppm <= 1000000', name=op.f('ck_attribution_credits_fraction_range')),
    sa.ForeignKeyConstraint(['discount_code_id'], ['discount_codes.id'], name=op.f('fk_attribution_credits_discount_code_id_discount_codes')),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_attribution_credits_influencer_id_influencer_profiles')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_attribution_credits_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_attribution_credits_order_line_id_order_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attribution_credits')),
    sa.UniqueConstraint('order_line_id', 'influencer_id', name=op.f('uq_attribution_credits_order_line_id_influencer_id'))
    )
    with op.batch_alter_table('attribution_credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attribution_credits_influencer_id'), ['influencer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attribution_credits_order_id'), ['order_id'], unique=False)

    op.create_table('clicks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('referrer_host', sa.String(length=255), nullable=True),
    sa.Column('device', sa.String(length=16), nullable=False),
    sa.Column('browser', sa.String(length=64), nullable=False),
    sa.Column('ip_hash', sa.String(length=32), nullable=False),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_clicks_link_id_share_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clicks')),
    sa.UniqueConstraint('uid', name=op.f('uq_clicks_uid'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index('ix_clicks_link_id_occurred_at', ['link_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_clicks_visitor_id_occurred_at', ['visitor_id', 'occurred_at'], unique=False)

    op.create_table('attribution_touchpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('clicked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('weight_ppm', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credit_id'], ['attribution_credits.id'], name=op.f('fk_attribution_touchpoints_credit_id_attribution_credits'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_attribution_touchpoints_link_id_share_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attribution_touchpoints'))
    )
    with op.batch_alter_table('attribution_touchpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attribution_touchpoints_credit_id'), ['credit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attribution_touchpoints_link_id'), ['link_id'], unique=False)



def downgrade():
    with op.batch_alter_table('attribution_touchpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attribution_touchpoints_link_id'))
        batch_op.drop_index(batch_op.f('ix_attribution_touchpoints_credit_id'))

    op.drop_table('attribution_touchpoints')
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_index('ix_clicks_visitor_id_occurred_at')
        batch_op.drop_index('ix_clicks_link_id_occurred_at')

    op.drop_table('clicks')
    with op.batch_alter_table('attribution_credits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attribution_credits_order_id'))
        batch_op.drop_index(batch_op.f('ix_attribution_credits_influencer_id'))

    op.drop_table('attribution_credits')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_storefront_id'))
        batch_op.drop_index(batch_op.f('ix_share_links_parent_id'))
        batch_op.drop_index(batch_op.f('ix_share_links_influencer_id'))

    op.drop_table('share_links')
    op.drop_table('order_attributions')
