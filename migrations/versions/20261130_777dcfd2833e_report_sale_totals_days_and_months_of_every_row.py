"""report sale totals: days and months of every row ("all"), not only hours

Brand reports read a brand's totals and currencies for the period from the "all" rows:
8,760 hour rows for a year. With day and month rows too, a year is 12 month rows (hours only
at the edges). The job keeps them from now on; this fills them from the hour rows (exact:
an order is paid at one moment, so distinct orders add up across hours).

Revision ID: 777dcfd2833e
Revises: b4e5b7bc5946
Create Date: 2026-11-30 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '777dcfd2833e'
down_revision = 'b4e5b7bc5946'
branch_labels = None
depends_on = None

KEYS = ("brand_id", "currency", "dim", "unit", "start", "key")
SQLITE_FORMATS = {"day": "%Y-%m-%d 00:00:00.000000", "month": "%Y-%m-01 00:00:00.000000"}


def upgrade():
    bind = op.get_bind()
    sums = [c["name"] for c in sa.inspect(bind).get_columns("report_sale_totals") if c["name"] not in (*KEYS, "id")]
    for unit in ("day", "month"):
        if bind.dialect.name == "postgresql":
            start = f"date_trunc('{unit}', start, 'UTC')"
        else:
            start = f"strftime('{SQLITE_FORMATS[unit]}', start)"
        op.execute(
            f"INSERT INTO report_sale_totals ({', '.join(KEYS)}, {', '.join(sums)}) "
            f"SELECT brand_id, currency, 'all', '{unit}', {start}, NULL, {', '.join(f'sum({name})' for name in sums)} "
            f"FROM report_sale_totals WHERE dim = 'all' AND unit = 'hour' GROUP BY brand_id, currency, {start}"
        )


def downgrade():
    op.execute("DELETE FROM report_sale_totals WHERE dim = 'all' AND unit IN ('day', 'month')")
