"""report shoppers: key by brand, shopper, currency

The rollup job replaces a shopper's rows at a brand whatever their currency; with the key in
the order (brand, currency, shopper) each of a batch's pairs scanned all of the brand's rows
in its currency (130 ms a batch on the report benchmark's data). Autogenerate does not see a
key's column order; written by hand.

Revision ID: f11b8a2abb4d
Revises: 777dcfd2833e
Create Date: 2026-11-30 07:06:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f11b8a2abb4d'
down_revision = '777dcfd2833e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_shoppers', schema=None) as batch_op:
        batch_op.drop_constraint('pk_report_shoppers', type_='primary')
        batch_op.create_primary_key('pk_report_shoppers', ['brand_id', 'shopper_key', 'currency'])


def downgrade():
    with op.batch_alter_table('report_shoppers', schema=None) as batch_op:
        batch_op.drop_constraint('pk_report_shoppers', type_='primary')
        batch_op.create_primary_key('pk_report_shoppers', ['brand_id', 'currency', 'shopper_key'])
