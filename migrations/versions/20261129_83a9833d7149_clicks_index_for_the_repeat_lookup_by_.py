"""clicks: index for the repeat lookup by address, in place of (link_id, occurred_at)

The click drain looks up, per click, a human click on the same link from the same
address hash and browser within the hour: (link_id, ip_hash, browser, occurred_at).
Its link_id prefix serves what (link_id, occurred_at) still served (per-link counts,
the foreign key), so that one goes and the table keeps four indexes. A plain CREATE
INDEX blocks writes to clicks while it builds; the only writer is the drain, and
clicks wait in the Redis buffer meanwhile.

Revision ID: 83a9833d7149
Revises: e874d27a474d
Create Date: 2026-11-29 22:13:04.828221

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '83a9833d7149'
down_revision = 'e874d27a474d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index('ix_clicks_link_id_ip_hash_browser_occurred_at', ['link_id', 'ip_hash', 'browser', 'occurred_at'], unique=False)
        batch_op.drop_index(batch_op.f('ix_clicks_link_id_occurred_at'))


def downgrade():
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clicks_link_id_occurred_at'), ['link_id', 'occurred_at'], unique=False)
        batch_op.drop_index('ix_clicks_link_id_ip_hash_browser_occurred_at')
