"""report shoppers: index by acquiring influencer

An influencer's own relationships view reads their cohorts across brands; without this it
scanned every shopper row.

Revision ID: 8da458dac72b
Revises: d5e73688653a
Create Date: 2026-11-30 07:22:07.733594

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8da458dac72b'
down_revision = 'd5e73688653a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_shoppers', schema=None) as batch_op:
        batch_op.create_index('ix_report_shoppers_acquired_by_first_at', ['acquired_by', 'first_at'], unique=False)


def downgrade():
    with op.batch_alter_table('report_shoppers', schema=None) as batch_op:
        batch_op.drop_index('ix_report_shoppers_acquired_by_first_at')
