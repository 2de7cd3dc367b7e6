"""attribution shares per model

Revision ID: dc667d39bc49
Revises: 83a9833d7149
Create Date: 2026-11-30 00:55:04.205824

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dc667d39bc49'
down_revision = '83a9833d7149'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attribution_shares',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('influencer_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('last_click_ppm', sa.Integer(), nullable=False),
    sa.Column('first_click_ppm', sa.Integer(), nullable=False),
    sa.Column('linear_ppm', sa.Integer(), nullable=False),
    sa.Column('time_decay_ppm', sa.Integer(), nullable=False),
    sa.Column('position_based_ppm', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['influencer_id'], ['influencer_profiles.id'], name=op.f('fk_attribution_shares_influencer_id_influencer_profiles')),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_attribution_shares_link_id_share_links')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_attribution_shares_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_attribution_shares_order_line_id_order_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attribution_shares'))
    )
    with op.batch_alter_table('attribution_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attribution_shares_order_id'), ['order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attribution_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attribution_shares_order_id'))

    op.drop_table('attribution_shares')
