"""The reports' rollups: derived from the raw tables (clicks, orders, credits, the commission
ledger), kept current by RQ jobs, and rebuilt from scratch by ``flask reports rebuild``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.attribution.rules import MODELS
from marketplace.db import Base, MinorUnits, UTCDateTime, utcnow

# The stored credits (what the ledger commissioned), then each model's own view of the same lines.
VARIANTS = ("credited", *MODELS)
COUNTED_ROWS = "credited_ppm > 0 OR influencer_id IS NULL"
COUNTED_COLUMNS = [  # what the reports of the stored credits read of those rows
    "currency", "influencer_id", "link_id", "product_id", "storefront_id", "order_id", "credited_ppm",
    "credited_gross", "credited_refunds", "credited_units", "commissions", "shopper_key",
]
CREDITED_COLUMNS = [  # what an influencer's views read of their credited rows
    "currency", "brand_id", "link_id", "product_id", "storefront_id", "order_id", "credited_ppm",
    "credited_gross", "credited_refunds", "credited_units", "commissions",
]


class ReportSale(Base):
    """One paid order line's part credited to one influencer through one link (or a discount
    code), or the whole line as organic (no influencer): the line's gross, refunds and units
    split among its rows exactly (largest remainder), once per variant. Rows of a line always
    add up to the line under every variant, so any grouping sums to the brand's sales."""

    __tablename__ = "report_sales"
    __table_args__ = (
        # Every row, for reports under another model; then, partial, the rows that hold the stored
        # credits' money (credited shares and organic lines: about one in ten rows), which the
        # default reports, cohorts and influencer views read.
        Index("ix_report_sales_brand_id_paid_at", "brand_id", "paid_at"),
        Index("ix_report_sales_counted_brand_id_paid_at", "brand_id", "paid_at",
              postgresql_where=text(COUNTED_ROWS), sqlite_where=text(COUNTED_ROWS),
              postgresql_include=COUNTED_COLUMNS),  # index-only scans: a year of a big brand in ~150 ms, not ~900
        Index("ix_report_sales_counted_brand_id_shopper_key_paid_at", "brand_id", "shopper_key", "paid_at",
              postgresql_where=text(COUNTED_ROWS), sqlite_where=text(COUNTED_ROWS)),
        Index("ix_report_sales_credited_influencer_id_paid_at", "influencer_id", "paid_at",
              postgresql_where=text("credited_ppm > 0"), sqlite_where=text("credited_ppm > 0"),
              postgresql_include=CREDITED_COLUMNS),  # the influencer views read the index alone
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No foreign keys, here or in the cohort tables: derived rows, written only by the rollup job
    # from the rows it has just read under their orders' locks, and rebuilt from them at will;
    # checking each key cost four times the insert itself (docs/benchmarks.md, the rollup job).
    order_id: Mapped[int] = mapped_column(index=True)
    order_line_id: Mapped[int]
    brand_id: Mapped[int]
    product_id: Mapped[int]
    storefront_id: Mapped[int]
    paid_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    # A keyed hash of the buyer's email: who bought again, never who they are.
    shopper_key: Mapped[str] = mapped_column(String(32))
    influencer_id: Mapped[int | None]  # None: organic
    link_id: Mapped[int | None]  # None: a discount code, or organic
    rate_bps: Mapped[int]  # the influencer's commission rate on this line (0 when organic)
    commissions: Mapped[int] = mapped_column(MinorUnits)  # the ledger's, net of reversals, canceled left out

    credited_ppm: Mapped[int]
    credited_gross: Mapped[int] = mapped_column(MinorUnits)
    credited_refunds: Mapped[int] = mapped_column(MinorUnits)
    credited_units: Mapped[int]
    last_click_ppm: Mapped[int]
    last_click_gross: Mapped[int] = mapped_column(MinorUnits)
    last_click_refunds: Mapped[int] = mapped_column(MinorUnits)
    last_click_units: Mapped[int]
    first_click_ppm: Mapped[int]
    first_click_gross: Mapped[int] = mapped_column(MinorUnits)
    first_click_refunds: Mapped[int] = mapped_column(MinorUnits)
    first_click_units: Mapped[int]
    linear_ppm: Mapped[int]
    linear_gross: Mapped[int] = mapped_column(MinorUnits)
    linear_refunds: Mapped[int] = mapped_column(MinorUnits)
    linear_units: Mapped[int]
    time_decay_ppm: Mapped[int]
    time_decay_gross: Mapped[int] = mapped_column(MinorUnits)
    time_decay_refunds: Mapped[int] = mapped_column(MinorUnits)
    time_decay_units: Mapped[int]
    position_based_ppm: Mapped[int]
    position_based_gross: Mapped[int] = mapped_column(MinorUnits)
    position_based_refunds: Mapped[int] = mapped_column(MinorUnits)
    position_based_units: Mapped[int]


class ReportClickHour(Base):
    """Counted clicks (human, not a repeat within the hour) per link and UTC hour."""

    __tablename__ = "report_click_hours"

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id"), primary_key=True)
    clicks: Mapped[int]

    __table_args__ = (Index("ix_report_click_hours_link_id_hour", "link_id", "hour", postgresql_include=("clicks",)),)  # index-only: an influencer's hours


# report_sale_totals: report_sales added up per brand, currency and UTC span, for every variant.
UNITS = ("hour", "day", "month")
# A key per grouping (day and month rows); "reshare": by influencer, the rows credited through re-shared links.
DIMS = ("influencer", "storefront", "product", "channel", "campaign", "reshare")
ALL = "all"  # every row of the span, organic included: hours (time groupings), days and months (totals, currencies)
VARIANT_SUMS = ("orders", "units", "gross", "refunds")
ALL_SUMS = ("orders", "organic_orders", "organic_units", "organic_gross", "organic_refunds")


def _sum_columns() -> list[Column]:
    columns = [Column(f"{variant}_{name}", BigInteger, nullable=False) for variant in VARIANTS for name in VARIANT_SUMS]
    columns.append(Column("credited_commissions", BigInteger, nullable=False))  # the ledger's
    # Under a model: revenue × rate (basis points), exact; commissions are its sum / 10,000, rounded down.
    columns.extend(Column(f"{model}_rate_revenue", BigInteger, nullable=False) for model in MODELS)
    return columns + [Column(name, BigInteger, nullable=False) for name in ALL_SUMS]


class ReportSaleTotal(Base):
    """``report_sales`` added up: per hour, day and month over all of a brand's rows in a currency
    (``dim`` "all", ``key`` None), and per day and per month over its credited rows by each
    grouping's key. Kept in the transaction that replaces an order's rows (new minus old), so
    they always equal the sums of ``report_sales``. Distinct orders add up across
    spans: an order is paid at one moment. The sums of an order's credited rows count for a key
    under a variant when one of them has a share there."""

    __table__ = Table(
        "report_sale_totals", Base.metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("brand_id", ForeignKey("brands.id"), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("dim", String(10), nullable=False),
        Column("unit", String(5), nullable=False),
        Column("start", UTCDateTime(), nullable=False),
        Column("key", String(100)),  # the grouping's key as text; None: none (campaign) or "all"
        *_sum_columns(),
        Index("ix_report_sale_totals_span", "brand_id", "currency", "dim", "unit", "start", "key", unique=True,
              postgresql_nulls_not_distinct=True),
    )


class ReportLinkClicks(Base):
    """Counted clicks per link and UTC day or month, with a HyperLogLog sketch of their visitors
    (PostgreSQL with the ``hll`` extension; None elsewhere). The groupings of brand reports."""

    __tablename__ = "report_link_clicks"

    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[datetime] = mapped_column(primary_key=True)
    clicks: Mapped[int]
    visitors: Mapped[bytes | None] = mapped_column(LargeBinary)


class ReportBrandClickHour(Base):
    """Counted clicks on a brand's links per UTC hour, with a sketch of their visitors: the time
    groupings and totals of brand reports. Which links are the brand's is in ``report_link_brands``."""

    __tablename__ = "report_brand_click_hours"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    clicks: Mapped[int]
    visitors: Mapped[bytes | None] = mapped_column(LargeBinary)


class ReportLinkBrand(Base):
    """The links whose clicks ``report_brand_click_hours`` counts for a brand (as curated when the
    click rollup last ran; a change of curation makes it recount the brand)."""

    __tablename__ = "report_link_brands"

    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id"), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True, index=True)


class ReportShopper(Base):
    """One buyer of one brand in one currency (by ``shopper_key``), from their first purchase on:
    the relationships report's cohorts (``cohorts.py``). Derived from the buyer's ``report_sales``
    rows, recomputed whenever the rollup job replaces one of them."""

    __tablename__ = "report_shoppers"
    __table_args__ = (
        Index("ix_report_shoppers_brand_id_currency_first_at", "brand_id", "currency", "first_at"),
        Index("ix_report_shoppers_acquired_by_first_at", "acquired_by", "first_at"),  # an influencer's own cohorts
    )

    # Key in this order: the rollup job replaces a shopper's rows at a brand, whatever the currency.
    brand_id: Mapped[int] = mapped_column(primary_key=True)
    shopper_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    first_at: Mapped[datetime]
    acquired_by: Mapped[int | None]  # the influencer; None: came on their own
    orders: Mapped[int]
    gross: Mapped[int] = mapped_column(MinorUnits)
    refunds: Mapped[int] = mapped_column(MinorUnits)
    first_purchase: Mapped[int] = mapped_column(MinorUnits)  # the first order's revenue
    halo: Mapped[int] = mapped_column(MinorUnits)  # later revenue credited to no one
    commissioned: Mapped[int] = mapped_column(MinorUnits)  # later revenue credited to someone
    revenue_30d: Mapped[int] = mapped_column(MinorUnits)
    revenue_90d: Mapped[int] = mapped_column(MinorUnits)
    revenue_365d: Mapped[int] = mapped_column(MinorUnits)


class ReportInfluencerProduct(Base):
    """A product an influencer sold a shopper (a credited share of a line of it), per brand and
    currency: when they first did, and whether the shopper bought it again in a later order,
    from anyone. The relationships report's reorder rate, of the pairs first sold in the
    period; kept with ``report_shoppers``."""

    __tablename__ = "report_influencer_products"
    __table_args__ = (
        Index("ix_report_influencer_products_brand_id_currency_first_at", "brand_id", "currency", "first_at",
              postgresql_include=("influencer_id", "product_id", "reordered")),  # the report reads the index only
    )

    brand_id: Mapped[int] = mapped_column(primary_key=True)
    shopper_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    influencer_id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(primary_key=True)
    first_at: Mapped[datetime]
    reordered: Mapped[bool]


class ReportStaleOrder(Base):
    """An order whose report rows must be rebuilt (it was paid, attributed, refunded, or its
    commissions changed): written in the transaction that changed it, taken by the rollup job."""

    __tablename__ = "report_stale_orders"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportWatermark(Base):
    """How far a rollup has read an append-only table (the last click id rolled up)."""

    __tablename__ = "report_watermarks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
