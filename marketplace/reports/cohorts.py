"""Acquisition cohorts: each buyer of a brand followed from their first purchase on.

``report_shoppers`` keeps one row per brand, currency and shopper, computed from the buyer's
``report_sales`` rows by ``refresh_shoppers`` whenever the rollup job replaces rows of theirs
(in the same transaction), so the relationships report adds rows up instead of following
every shopper through every sale."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import ARRAY, Integer, String, delete, func, literal, or_, select, tuple_

from marketplace.db import db, insert_rows, on_postgresql
from marketplace.reports.models import ReportInfluencerProduct, ReportSale, ReportShopper

COHORT_DAYS = (30, 90, 365)
COUNTED = or_(ReportSale.credited_ppm > 0, ReportSale.influencer_id.is_(None))


@dataclass
class Shopper:
    """One buyer of one brand, from their first purchase on."""

    key: str
    first_at: datetime
    first_order: int
    acquired_by: int | None = None  # the influencer with the biggest credit on the first order
    orders: set[int] = field(default_factory=set)
    gross: int = 0
    refunds: int = 0
    revenue_within: dict[int, int] = field(default_factory=lambda: dict.fromkeys(COHORT_DAYS, 0))
    first_purchase: int = 0  # the first order's revenue
    halo: int = 0  # later revenue no one was commissioned for
    commissioned: int = 0  # later revenue credited to someone


def as_utc(moment) -> datetime:
    """SQLite hands back the times it computed as text."""
    if isinstance(moment, str):
        return datetime.fromisoformat(moment).replace(tzinfo=timezone.utc)
    return moment


def shoppers(rows) -> list[tuple[int, Shopper]]:
    """Per (brand, shopper), from their rows in time order: who brought them (the biggest credit
    on their first order), what they bought, when, and what of it no one was commissioned for
    after that first order."""
    found: dict[tuple[int, str], Shopper] = {}
    first_credit: dict[tuple[int, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        pair = (row.brand_id, row.shopper_key)
        shopper = found.get(pair)
        if shopper is None:
            shopper = found[pair] = Shopper(row.shopper_key, as_utc(row.paid_at), row.order_id)
        paid_at = as_utc(row.paid_at)
        shopper.orders.add(row.order_id)
        shopper.gross += row.credited_gross
        shopper.refunds += row.credited_refunds
        net = row.credited_gross - row.credited_refunds
        for days in COHORT_DAYS:
            if paid_at < shopper.first_at + timedelta(days=days):
                shopper.revenue_within[days] += net
        if row.order_id == shopper.first_order:
            shopper.first_purchase += net
            if row.influencer_id is not None and row.credited_ppm > 0:
                first_credit[pair][row.influencer_id] += row.credited_gross
        elif row.influencer_id is None:
            shopper.halo += net
        else:
            shopper.commissioned += net
    for pair, shopper in found.items():
        credits = first_credit.get(pair)
        if credits:
            shopper.acquired_by = min(credits, key=lambda influencer: (-credits[influencer], influencer))
    return [(brand_id, shopper) for (brand_id, _), shopper in found.items()]


def sale_rows(where):
    """The counted rows that ``shoppers`` reads, in its order."""
    return db.session.execute(
        select(
            ReportSale.brand_id, ReportSale.currency, ReportSale.shopper_key, ReportSale.order_id, ReportSale.paid_at,
            ReportSale.product_id, ReportSale.influencer_id, ReportSale.credited_ppm, ReportSale.credited_gross, ReportSale.credited_refunds,
        )
        .where(where, COUNTED)
        .order_by(ReportSale.brand_id, ReportSale.shopper_key, ReportSale.paid_at, ReportSale.order_id)
    ).all()


def refresh_shoppers(pairs: set[tuple[int, str]]) -> None:
    """Recompute the ``report_shoppers`` and ``report_influencer_products`` rows of these
    (brand, shopper key) pairs from their ``report_sales`` rows."""
    if not pairs:
        return
    _lock_pairs(pairs)
    for model in (ReportShopper, ReportInfluencerProduct):
        db.session.execute(delete(model).where(_of_pairs(model, pairs)))
    _insert(sale_rows(_of_pairs(ReportSale, pairs)))


def _lock_pairs(pairs: set[tuple[int, str]]) -> None:
    """On PostgreSQL, hold a lock per (brand, shopper) pair until the commit, taken in order: two
    jobs at once that rebuild one shopper's rows (two of their orders in two batches) take turns,
    the second reading what the first wrote, instead of both inserting the shopper's row."""
    if not on_postgresql():
        return
    locks = _unnested({(brand_id, int(key[:8], 16) - 2**31) for brand_id, key in pairs}, Integer).subquery()  # hex keys
    db.session.execute(select(func.count(func.pg_advisory_xact_lock(*locks.c))))


def _of_pairs(model, pairs: set[tuple[int, str]]):
    """The rows of ``model`` of these (brand, shopper key) pairs. On PostgreSQL, as a semi-join
    with the pairs unnested from two arrays: one index probe per pair, however many brands and
    shoppers the pairs mix (matching brands and keys apart read every brand's rows of a key)."""
    columns = tuple_(model.brand_id, model.shopper_key)
    if not on_postgresql():
        return columns.in_(sorted(pairs))
    return columns.in_(_unnested(pairs, String))


def _unnested(pairs: set[tuple[int, object]], second_type):
    """The pairs, sorted, as the rows of two unnested PostgreSQL arrays (brand, second)."""
    brands, seconds = zip(*sorted(pairs))
    return select(func.unnest(literal(list(brands), ARRAY(Integer))), func.unnest(literal(list(seconds), ARRAY(second_type))))


def rebuild_shoppers() -> None:
    """``report_shoppers`` and ``report_influencer_products`` from scratch, a brand at a time."""
    session = db.session
    session.execute(delete(ReportShopper))
    session.execute(delete(ReportInfluencerProduct))
    for brand_id in session.scalars(select(ReportSale.brand_id).distinct()):
        _insert(sale_rows(ReportSale.brand_id == brand_id))


def _insert(rows) -> None:
    """The rows of the buyers these (complete, ordered) sale rows belong to."""
    by_currency = defaultdict(list)
    orders = defaultdict(dict)  # (brand, currency, shopper, product) -> {order: paid_at}
    first_sold = {}  # (brand, currency, shopper, product, influencer) -> (paid_at, order): their first credited sale
    for row in rows:
        by_currency[row.currency].append(row)
        product = (row.brand_id, row.currency, row.shopper_key, row.product_id)
        orders[product][row.order_id] = row.paid_at
        if row.influencer_id is not None and row.credited_ppm > 0:
            first_sold.setdefault((*product, row.influencer_id), (row.paid_at, row.order_id))
    insert_rows(ReportShopper.__table__, [
        shopper_row(brand_id, currency, shopper) for currency, found in by_currency.items() for brand_id, shopper in shoppers(found)
    ])
    insert_rows(ReportInfluencerProduct.__table__, [
        {"brand_id": brand_id, "currency": currency, "shopper_key": key, "product_id": product_id,
         "influencer_id": influencer_id, "first_at": first_at,
         "reordered": any(order != first_order and paid_at >= first_at
                          for order, paid_at in orders[(brand_id, currency, key, product_id)].items())}
        for (brand_id, currency, key, product_id, influencer_id), (first_at, first_order) in first_sold.items()
    ])


def shopper_row(brand_id: int, currency: str, shopper: Shopper) -> dict:
    return {
        "brand_id": brand_id, "currency": currency, "shopper_key": shopper.key, "first_at": shopper.first_at,
        "acquired_by": shopper.acquired_by, "orders": len(shopper.orders), "gross": shopper.gross,
        "refunds": shopper.refunds, "first_purchase": shopper.first_purchase, "halo": shopper.halo,
        "commissioned": shopper.commissioned, **{f"revenue_{days}d": shopper.revenue_within[days] for days in COHORT_DAYS},
    }


COHORT_SUMS = ("gross", "refunds", "first_purchase", "halo", "commissioned", *(f"revenue_{days}d" for days in COHORT_DAYS))


def cohort_sums(found: list[Shopper]) -> dict:
    """What a cohort's figures are made of, from its shoppers (as ``report_shoppers`` adds up)."""
    sums = {"shoppers": len(found), "repeaters": sum(len(s.orders) >= 2 for s in found),
            "orders": sum(len(s.orders) for s in found)}
    for name in COHORT_SUMS:
        sums[name] = sum(s.revenue_within[int(name[8:-1])] if name.startswith("revenue_") else getattr(s, name) for s in found)
    return sums


def cohort_columns() -> list:
    """A cohort's sums (``cohort_sums``' names) as aggregates of ``report_shoppers`` rows."""
    return [
        func.count().label("shoppers"),
        func.count().filter(ReportShopper.orders >= 2).label("repeaters"),
        func.sum(ReportShopper.orders).label("orders"),
        *(func.sum(getattr(ReportShopper, name)).label(name) for name in COHORT_SUMS),
    ]


def cohort_totals(brand_id: int, currency: str, start: datetime, end: datetime) -> dict:
    """Per acquiring influencer (None: came on their own), the sums of the shoppers whose first
    purchase from the brand lies in [start, end)."""
    statement = (
        select(ReportShopper.acquired_by, *cohort_columns())
        .where(ReportShopper.brand_id == brand_id, ReportShopper.currency == currency,
               ReportShopper.first_at >= start, ReportShopper.first_at < end)
        .group_by(ReportShopper.acquired_by)
    )
    return {row.acquired_by: {name: int(value or 0) for name, value in row._asdict().items() if name != "acquired_by"}
            for row in db.session.execute(statement)}
