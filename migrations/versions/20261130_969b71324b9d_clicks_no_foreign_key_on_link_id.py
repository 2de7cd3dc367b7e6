"""clicks: no foreign key on link_id

Clicks are written only by the click drain, and only for links the redirect resolved
(share links are deactivated, never deleted), so the foreign key checked what was
already true, one share_links lookup per inserted row: about 14 % of the drain's
database time (docs/benchmarks.md, click ingestion). The index on
(link_id, ip_hash, browser, occurred_at) still serves lookups by link.

Revision ID: 969b71324b9d
Revises: 6597c3d5aa21
Create Date: 2026-11-30 01:15:49.368684

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '969b71324b9d'
down_revision = '6597c3d5aa21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_clicks_link_id_share_links'), type_='foreignkey')


def downgrade():
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_clicks_link_id_share_links'), 'share_links', ['link_id'], ['id'])
