"""attribution requests: paid orders waiting for a batch

Revision ID: e874d27a474d
Revises: ec549f2f0570
Create Date: 2026-11-29 22:11:57.067525

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e874d27a474d'
down_revision = 'ec549f2f0570'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attribution_requests',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_attribution_requests_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_attribution_requests'))
    )


def downgrade():
    op.drop_table('attribution_requests')
