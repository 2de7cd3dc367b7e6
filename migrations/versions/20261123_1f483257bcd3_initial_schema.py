"""initial schema

Revision ID: 1f483257bcd3
Revises: 
Create Date: 2026-11-23 12:26:17.564751

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f483257bcd3'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('brands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('website', sa.String(length=2048), nullable=True),
    sa.Column('default_commission_bps', sa.Integer(), nullable=False),
    sa.Column('attribution_window_days', sa.Integer(), nullable=False),
    sa.Column('hold_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attribution_window_days BETWEEN 1 AND 365', name=op.f('ck_brands_attribution_window_range')),
    sa.CheckConstraint('default_commission_bps BETWEEN 0 AND 10000', name=op.f('ck_brands_commission_bps_range')),
    sa.CheckConstraint('hold_days BETWEEN 0 AND 365', name=op.f('ck_brands_hold_days_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brands')),
    sa.UniqueConstraint('slug', name=op.f('uq_brands_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('shopper', 'influencer', 'brand', 'admin', name='user_role', native_enum=False, length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('auth_sessions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_sessions'))
    )
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auth_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('brand_members',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_brand_members_brand_id_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_brand_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('brand_id', 'user_id', name=op.f('pk_brand_members'))
    )
    with op.batch_alter_table('brand_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_brand_members_user_id'), ['user_id'], unique=False)

    op.create_table('influencer_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('handle', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('avatar_url', sa.String(length=2048), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_influencer_profiles_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_influencer_profiles')),
    sa.UniqueConstraint('handle', name=op.f('uq_influencer_profiles_handle')),
    sa.UniqueConstraint('user_id', name=op.f('uq_influencer_profiles_user_id'))
    )
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('image_urls', sa.JSON(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('commission_bps', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('commission_bps BETWEEN 0 AND 10000', name=op.f('ck_products_commission_bps_range')),
    sa.CheckConstraint('price >= 0', name=op.f('ck_products_price_not_negative')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_products_stock_not_negative')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_products_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('brand_id', 'sku', name=op.f('uq_products_brand_id_sku'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_active_created_at', ['active', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_brand_id'), ['brand_id'], unique=False)

    op.create_table('social_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('followers', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_social_profiles_influencer_id_influencer_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_profiles'))
    )
    with op.batch_alter_table('social_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_profiles_influencer_id'), ['influencer_id'], unique=False)

    op.create_table('storefronts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_storefronts_influencer_id_influencer_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storefronts')),
    sa.UniqueConstraint('slug', name=op.f('uq_storefronts_slug'))
    )
    with op.batch_alter_table('storefronts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_storefronts_influencer_id'), ['influencer_id'], unique=False)

    op.create_table('collections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('storefront_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['storefront_id'], ['storefronts.id'], name=op.f('fk_collections_storefront_id_storefronts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collections')),
    sa.UniqueConstraint('storefront_id', 'name', name=op.f('uq_collections_storefront_id_name'))
    )
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collections_storefront_id'), ['storefront_id'], unique=False)

    op.create_table('storefront_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('storefront_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_storefront_items_collection_id_collections')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_storefront_items_product_id_products')),
    sa.ForeignKeyConstraint(['storefront_id'], ['storefronts.id'], name=op.f('fk_storefront_items_storefront_id_storefronts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storefront_items'))
    )
    with op.batch_alter_table('storefront_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_storefront_items_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_storefront_items_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_storefront_items_storefront_id'), ['storefront_id'], unique=False)



def downgrade():
    with op.batch_alter_table('storefront_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_storefront_items_storefront_id'))
        batch_op.drop_index(batch_op.f('ix_storefront_items_product_id'))
        batch_op.drop_index(batch_op.f('ix_storefront_items_collection_id'))

    op.drop_table('storefront_items')
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collections_storefront_id'))

    op.drop_table('collections')
    with op.batch_alter_table('storefronts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_storefronts_influencer_id'))

    op.drop_table('storefronts')
    with op.batch_alter_table('social_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_profiles_influencer_id'))

    op.drop_table('social_profiles')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_brand_id'))
        batch_op.drop_index('ix_products_active_created_at')

    op.drop_table('products')
    op.drop_table('influencer_profiles')
    with op.batch_alter_table('brand_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_brand_members_user_id'))

    op.drop_table('brand_members')
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_auth_sessions_expires_at'))

    op.drop_table('auth_sessions')
    op.drop_table('users')
    op.drop_table('brands')
