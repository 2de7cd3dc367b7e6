"""attribution credits and their touchpoints

Revision ID: dfabe11a5d9e
Revises: 83042abfca5f
Create Date: 2026-11-23 13:42:02.912461

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dfabe11a5d9e'
down_revision = '83042abfca5f'
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
    with op.batch_alter_table('attribution_credits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attribution_credits_order_id'))
        batch_op.drop_index(batch_op.f('ix_attribution_credits_influencer_id'))

    op.drop_table('attribution_credits')
    op.drop_table('order_attributions')
