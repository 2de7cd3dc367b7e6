"""Keeping the reports' rollups current: incrementally, idempotently, from the raw tables.

- ``report_sales``: each order's rows are rebuilt whole whenever the order changes. The
  transaction that pays, attributes, refunds an order or changes its commissions calls
  ``mark_stale`` (a ``report_stale_orders`` row, committed with the change) and, after the
  commit, wakes the coalesced job ``workers.jobs.refresh_reports``; the job takes the stale
  orders in batches (``SKIP LOCKED``) and, for those whose rows come out different, replaces
  them in the batch's transaction, moving ``report_sale_totals`` by new minus old and
  recomputing the buyers' ``report_shoppers``. A crash leaves the requests in place; a second
  run finds the same rows.
- ``report_click_hours``: counted clicks per link and hour, added up from the clicks stored
  since the watermark (the last click id rolled up), in one transaction with the watermark.
  It runs under the click drain's lock (``links.clicks.drain_lock``), so no click with a
  smaller id can commit after the watermark passed it.

``rebuild`` empties both and rebuilds them from the raw tables (``flask reports rebuild``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import Counter, defaultdict

from flask import current_app
from sqlalchemy import BigInteger, String, and_, case, cast, delete, func, literal, literal_column, null, or_, select, text, true, union, union_all

from marketplace.attribution.models import AttributionShare, OrderAttribution
from marketplace.attribution.rules import MODELS
from marketplace.commissions.models import CommissionLine, CommissionState
from marketplace.commissions.services import Rates
from marketplace.db import among, db, insert_rows, on_postgresql, upsert
from marketplace.links.clicks import ROLL_UP_WAKE_KEY, drain_lock
from marketplace.catalog.models import Product
from marketplace.links.models import Click, ShareLink
from marketplace.money import allocate
from marketplace.orders.models import Order, OrderLine, OrderStatus
from marketplace.queueing import FOLLOW_UP_RETRY, coalesced_job_started, enqueue_after_commit, get_redis
from marketplace.reports.models import (
    ALL,
    DIMS,
    VARIANTS,
    ReportBrandClickHour,
    ReportClickHour,
    ReportInfluencerProduct,
    ReportLinkBrand,
    ReportLinkClicks,
    ReportSale,
    ReportSaleTotal,
    ReportShopper,
    ReportStaleOrder,
    ReportWatermark,
)
from marketplace.reports.cohorts import rebuild_shoppers, refresh_shoppers
from marketplace.reports.sketches import sketch_of, sketch_union
from marketplace.reports.stale import REFRESH_JOB, WAKE_KEY
from marketplace.storefronts.models import StorefrontItem

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
JOB_SECONDS = 120
CLICKS_WATERMARK = "clicks"
SOLD = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED})
SALE_COLUMNS = tuple(name for name in ReportSale.__table__.c.keys() if name != "id")
SHARE_COLUMNS = ("influencer_id", "link_id", *(f"{model}_ppm" for model in MODELS))
LINE_COLUMNS = (  # what the rows and commissions.Rates read of a line
    "id", "order_id", "brand_id", "product_id", "storefront_id", "currency", "line_total", "refunded_amount",
    "quantity", "commission_bps", "commission_source",
)


SPAN_FORMATS = {"hour": "%Y-%m-%d %H:00:00.000000", "day": "%Y-%m-%d 00:00:00.000000", "month": "%Y-%m-01 00:00:00.000000"}


def span_start(unit: str, column):
    """The UTC hour, day or month a timestamp falls in, as SQL (timestamps are stored in UTC)."""
    if on_postgresql():
        return func.date_trunc(literal_column(f"'{unit}'"), column, literal_column("'UTC'"))  # literals: GROUP BY matches
    return func.strftime(SPAN_FORMATS[unit], column)


def hour_of(column):
    return span_start("hour", column)


def shopper_key(email: str) -> str:
    """The same buyer (by email, case aside) under the same key; the key does not give the email back."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


# ------------------------------------------------------------------ the sales rollup


def refresh_stale(batch_size: int = BATCH_SIZE) -> int:
    """The job: rebuild the rows of the stale orders, a batch per transaction, until none is
    left (or ``JOB_SECONDS`` have passed: it then wakes the next job). Returns the orders done.
    Several run at once on several workers: each takes its own batches (``SKIP LOCKED``), and
    while full batches keep coming, each one wakes another job for a free worker."""
    coalesced_job_started(WAKE_KEY)
    deadline = time.monotonic() + JOB_SECONDS
    session = db.session
    done = 0
    while True:
        _batch_settings()
        # Locked, not yet deleted: a change committing meanwhile still finds its row (and adds
        # nothing); rebuild_sales then waits for that change's order lock and reads it.
        taken = list(session.scalars(
            select(ReportStaleOrder.order_id).order_by(ReportStaleOrder.order_id).limit(batch_size)
            .with_for_update(skip_locked=True)
        ))
        if not taken:
            session.commit()
            return done
        if len(taken) == batch_size and get_redis() is not None:
            # More are waiting: wake another job, which a free worker runs beside this one.
            enqueue_after_commit(session, REFRESH_JOB, retry=FOLLOW_UP_RETRY, coalesce=WAKE_KEY)
        rebuild_sales(taken)
        session.execute(delete(ReportStaleOrder).where(among(ReportStaleOrder.order_id, taken)))
        session.commit()
        done += len(taken)
        if time.monotonic() > deadline:
            enqueue_after_commit(session, REFRESH_JOB, retry=FOLLOW_UP_RETRY, coalesce=WAKE_KEY)
            session.commit()
            return done


def _batch_settings() -> None:
    """For this transaction, on PostgreSQL: no JIT compilation, and room to sort in memory. The
    totals statement has a few hundred aggregates, and on a table of millions of rows the
    planner overestimates a batch's rows twentyfold; its costs then cross the JIT thresholds
    and compiling took 2.6 s of a 3.3 s statement (docs/benchmarks.md, the rollup job)."""
    if on_postgresql():
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))


def rebuild_sales(order_ids: list[int]) -> None:
    """Bring these orders' ``report_sales`` rows up to date, with their part of
    ``report_sale_totals`` and their buyers' ``report_shoppers`` rows, in the caller's
    transaction. Orders that are not (or no longer) paid get none. An order whose rows come out
    as they were is left alone (a commission approved, a webhook delivered twice: most re-marked
    orders); for the others the new rows go in, the totals change by new minus old in one
    statement, and the old rows go. The orders are read ``FOR SHARE``: a transaction changing
    one of them (they all lock the order) commits first, and is what this reads."""
    session = db.session
    orders = _paid_orders(order_ids)
    old: dict[int, list] = defaultdict(list)
    for row in session.execute(select(ReportSale.__table__).where(among(ReportSale.order_id, order_ids))):
        old[row.order_id].append(row)
    new: dict[int, list[dict]] = defaultdict(list)
    for row in _sale_rows(orders):
        new[row["order_id"]].append(row)
    changed = [order_id for order_id in order_ids
               if len(new[order_id]) != len(old[order_id]) or _row_set(new[order_id]) != _row_set(old[order_id])]
    if not changed:
        return
    old_rows = [row for order_id in changed for row in old[order_id]]
    new_rows = [row for order_id in changed for row in new[order_id]]
    newest_old = max((row.id for row in old_rows), default=0)  # the new rows' ids come after it
    insert_rows(ReportSale.__table__, new_rows)
    ours = among(ReportSale.order_id, changed)
    add_totals(ours, side=case((ReportSale.id > newest_old, 1), else_=-1))
    session.execute(delete(ReportSale).where(ours, ReportSale.id <= newest_old))
    refresh_shoppers({(row.brand_id, row.shopper_key) for row in old_rows}
                     | {(row["brand_id"], row["shopper_key"]) for row in new_rows})


def _paid_orders(order_ids: list[int]) -> dict:
    """Those of these orders that are paid (refunds included), read ``FOR SHARE``."""
    return {
        row.id: row
        for row in db.session.execute(
            select(Order.id, Order.paid_at, Order.email, Order.status)
            .where(among(Order.id, order_ids)).order_by(Order.id).with_for_update(read=True)
        )
        if row.status in SOLD and row.paid_at is not None
    }


def _row_set(rows) -> Counter:
    """An order's rows as a multiset of their values (ids aside), old (read) or new (built) alike."""
    return Counter(tuple(row[name] for name in SALE_COLUMNS) for row in (
        row if isinstance(row, dict) else row._mapping for row in rows))


def _sale_rows(orders: dict) -> list[dict]:
    """The ``report_sales`` rows of these paid orders, built from their lines, shares and ledger."""
    if not orders:
        return []
    session = db.session
    # Rows, not ORM objects: a batch reads about ten shares per line.
    lines = session.execute(
        select(*(OrderLine.__table__.c[name] for name in LINE_COLUMNS))
        .where(among(OrderLine.order_id, orders)).order_by(OrderLine.id)
    ).all()
    models = dict(session.execute(
        select(OrderAttribution.order_id, OrderAttribution.model).where(among(OrderAttribution.order_id, orders))
    ).all())
    shares: dict[int, list] = defaultdict(list)
    for line_id, *share in session.execute(
        select(AttributionShare.order_line_id, *(AttributionShare.__table__.c[name] for name in SHARE_COLUMNS))
        .where(among(AttributionShare.order_id, orders)).order_by(AttributionShare.id)
    ):
        shares[line_id].append(share)
    ledger = {
        (row.order_line_id, row.influencer_id): (int(row.amount), row.rate_bps)  # PostgreSQL sums are decimals
        for row in session.execute(
            select(
                CommissionLine.order_line_id,
                CommissionLine.influencer_id,
                func.sum(CommissionLine.amount).label("amount"),
                func.max(CommissionLine.rate_bps).label("rate_bps"),
            )
            .where(among(CommissionLine.order_id, orders), CommissionLine.state != CommissionState.CANCELED)
            .group_by(CommissionLine.order_line_id, CommissionLine.influencer_id)
        )
    }
    rates = Rates({line.brand_id for line in lines}, {share[0] for found in shares.values() for share in found})
    rows = []
    for line in lines:
        order = orders[line.order_id]
        base = {
            "order_id": line.order_id, "order_line_id": line.id, "brand_id": line.brand_id,
            "product_id": line.product_id, "storefront_id": line.storefront_id, "paid_at": order.paid_at,
            "currency": line.currency, "shopper_key": shopper_key(order.email),
        }
        rows.extend(_line_rows(line, base, shares.get(line.id, []), models.get(line.order_id), ledger, rates))
    return rows


_VARIANT_COLUMNS = [(variant, *(f"{variant}_{name}" for name in ("ppm", "gross", "refunds", "units"))) for variant in VARIANTS]


def _line_rows(line, base: dict, shares: list[tuple], model: str | None, ledger, rates) -> list[dict]:
    """The line's rows: one per share, each variant's gross, refunds and units split by its
    parts per million; or, with no shares, one organic row holding the whole line."""
    if not shares:
        whole = dict(base, influencer_id=None, link_id=None, rate_bps=0, commissions=0)
        for _, ppm, gross, refunds, units in _VARIANT_COLUMNS:
            whole |= {ppm: 0, gross: line.line_total, refunds: line.refunded_amount, units: line.quantity}
        return [whole]
    columns = dict(zip(SHARE_COLUMNS, zip(*shares)))  # each column of the shares, in their order
    rows = [dict(base, influencer_id=influencer_id, link_id=link_id)
            for influencer_id, link_id in zip(columns["influencer_id"], columns["link_id"])]
    for variant, ppm_column, gross_column, refunds_column, units_column in _VARIANT_COLUMNS:
        ppms = columns[f"{model}_ppm" if variant == "credited" else ppm_column]  # shares come with their model
        for row, ppm, gross, refunds, units in zip(
            rows,
            ppms,
            allocate(line.line_total, ppms),
            allocate(line.refunded_amount, ppms),
            allocate(line.quantity, ppms),
            strict=True,
        ):
            row[ppm_column], row[gross_column], row[refunds_column], row[units_column] = ppm, gross, refunds, units
    by_influencer = defaultdict(list)
    for row in rows:
        by_influencer[row["influencer_id"]].append(row)
    for influencer_id, own in by_influencer.items():
        amount, rate = ledger.get((line.id, influencer_id), (0, None))
        if rate is None:
            rate = rates.of(line, influencer_id)[0]
        for row, part in zip(own, allocate(amount, [row["credited_ppm"] for row in own]), strict=True):
            row["rate_bps"], row["commissions"] = rate, part
    return rows


# ------------------------------------------------------------------ the sales totals


def sale_rows(where, side=None):
    """The ``report_sales`` rows matching ``where`` with what the totals read of their link
    (channel, campaign, re-share depth); with ``side``, that expression as a column too."""
    return (
        select(*ReportSale.__table__.c, ShareLink.channel, ShareLink.campaign, ShareLink.depth,
               *([side.label("side")] if side is not None else []))
        .outerjoin(ShareLink, ShareLink.id == ReportSale.link_id).where(where)
    )


def dim_key(dim: str, rows):
    """A grouping's key of ``sale_rows``, as text; "reshare": the influencer, of re-shared links' rows."""
    return {
        "influencer": cast(rows.c.influencer_id, String),
        "reshare": cast(rows.c.influencer_id, String),
        "storefront": cast(rows.c.storefront_id, String),
        "product": cast(rows.c.product_id, String),
        "channel": case((rows.c.link_id.is_(None), literal_column("'discount_code'")), else_=rows.c.channel),
        "campaign": rows.c.campaign,
    }[dim]


def dim_rows(dim: str, rows) -> list:
    """The conditions on ``sale_rows`` of a grouping: credited rows (of re-shared links for "reshare")."""
    return [rows.c.influencer_id.is_not(None), *([rows.c.depth > 0] if dim == "reshare" else [])]


def _total(value, where):
    return func.coalesce(func.sum(case((where, value), else_=0)), 0)


def _measures(rows) -> list[tuple[str, object, object]]:
    """Each column of ``report_sale_totals`` as (name, what it adds up, the condition of its rows).
    For the orders columns, what is added up is the order id: such a column counts distinct orders."""
    credited = rows.c.influencer_id.is_not(None)
    organic = rows.c.influencer_id.is_(None)
    measures = []
    for variant in VARIANTS:
        of = lambda name, variant=variant: rows.c[f"{variant}_{name}"]  # noqa: E731
        measures += [
            (f"{variant}_orders", rows.c.order_id, and_(credited, of("ppm") > 0)),
            (f"{variant}_units", of("units"), credited),
            (f"{variant}_gross", of("gross"), credited),
            (f"{variant}_refunds", of("refunds"), credited),
        ]
    measures.append(("credited_commissions", rows.c.commissions, credited))
    for model in MODELS:
        revenue = rows.c[f"{model}_gross"] - rows.c[f"{model}_refunds"]
        measures.append((f"{model}_rate_revenue", revenue * rows.c.rate_bps, credited))
    return measures + [
        ("orders", rows.c.order_id, true()),
        ("organic_orders", rows.c.order_id, organic),
        ("organic_units", rows.c.credited_units, organic),
        ("organic_gross", rows.c.credited_gross, organic),
        ("organic_refunds", rows.c.credited_refunds, organic),
    ]


def sale_sums(rows) -> list:
    """The columns of ``report_sale_totals`` as aggregates of ``sale_rows`` (distinct orders counted)."""
    return [
        (func.count(func.distinct(case((where, value)))) if name.endswith("orders") else _total(value, where)).label(name)
        for name, value, where in _measures(rows)
    ]


def _totals_select(where, side=None):
    """The ``report_sale_totals`` rows of the ``report_sales`` rows matching ``where``; with
    ``side`` (1 or -1 per row, as SQL), the change that adding the 1 rows and taking the -1 rows
    away makes, for the rows it changes. In two steps, for speed: first per span, key and order
    (an orders column then holds 1 if the order has such a row), then per span and key (adding
    those up counts distinct orders, as ``sale_sums`` does in one step, much more slowly)."""
    rows = sale_rows(where, side if side is not None else literal(1)).cte("sale_rows")
    measures = _measures(rows)
    names = [name for name, _, _ in measures]
    per_order = [  # bigint, not PostgreSQL's numeric sums: the second step multiplies and adds them all again
        (func.max(case((where, 1), else_=0)) if name.endswith("orders") else cast(_total(value, where), BigInteger)).label(name)
        for name, value, where in measures
    ]

    def by_order(dim: str, start, key=None, *conditions):
        group = [rows.c.brand_id, rows.c.currency, start, *([key] if key is not None else []), rows.c.order_id, rows.c.side]
        return (select(rows.c.brand_id, rows.c.currency, literal(dim).label("dim"), start.label("start"),
                       (key if key is not None else null()).label("key"), rows.c.order_id, rows.c.side, *per_order)
                .where(*conditions).group_by(*group))

    orders = union_all(
        by_order(ALL, span_start("hour", rows.c.paid_at)),
        *(by_order(dim, span_start("day", rows.c.paid_at), dim_key(dim, rows), *dim_rows(dim, rows)) for dim in DIMS),
    ).cte("sale_orders")
    sums = [cast(func.sum(orders.c.side * orders.c[name]), BigInteger) for name in names]
    changed = or_(*(total != 0 for total in sums)) if side is not None else true()

    def summed(unit: str, start, *conditions):
        group = [orders.c.brand_id, orders.c.currency, orders.c.dim, start, orders.c.key]
        return (select(orders.c.brand_id, orders.c.currency, orders.c.dim, literal(unit).label("unit"), start.label("start"),
                       orders.c.key, *(total.label(name) for total, name in zip(sums, names, strict=True)))
                .where(*conditions).group_by(*group).having(changed))

    return union_all(
        summed("hour", orders.c.start, orders.c.dim == ALL),
        summed("day", span_start("day", orders.c.start)),  # the "all" rows' hours, and the groupings' days
        summed("month", span_start("month", orders.c.start)),
    ).subquery()


def add_totals(where, side=None) -> None:
    """Add the ``report_sales`` rows matching ``where`` to ``report_sale_totals``; with ``side``
    (SQL: 1 or -1 per row), add the 1 rows and take the -1 rows away."""
    rows = _totals_select(where, side)
    table = ReportSaleTotal.__table__
    keys = ["brand_id", "currency", "dim", "unit", "start", "key"]
    sums = [name for name in table.c.keys() if name not in (*keys, "id")]
    # In the order of the key: two jobs at once lock the rows they share in the same order (no
    # deadlock; the second waits for the first to commit). SQLite parses INSERT ... SELECT ...
    # ON CONFLICT only with a WHERE.
    adding = upsert(table).from_select(keys + sums, select(*(rows.c[name] for name in keys + sums)).where(true())
                                       .order_by(*(rows.c[name] for name in keys)))
    db.session.execute(adding.on_conflict_do_update(
        index_elements=keys, set_={name: table.c[name] + adding.excluded[name] for name in sums}
    ))


def rebuild_totals() -> None:
    """``report_sale_totals`` from scratch, from ``report_sales``, a brand at a time (its rows
    sorted in memory: a year of the biggest brand is about 2.5 M rows)."""
    session = db.session
    session.execute(delete(ReportSaleTotal))
    if on_postgresql():
        session.execute(text("SET LOCAL work_mem = '512MB'"))
    for brand_id in list(session.scalars(select(ReportSale.brand_id).distinct())):
        add_totals(ReportSale.brand_id == brand_id)


# ------------------------------------------------------------------ the clicks rollup


def roll_up_clicks() -> int:
    """Add the clicks stored since the watermark to ``report_click_hours``; returns how many
    clicks were read. Skipped (0) while the drain holds its lock: the next run catches up."""
    coalesced_job_started(ROLL_UP_WAKE_KEY)
    with drain_lock() as held:
        if not held:
            return 0
        return _roll_up_clicks_since_watermark()


def _roll_up_clicks_since_watermark() -> int:
    session = db.session
    watermark = session.get(ReportWatermark, CLICKS_WATERMARK, with_for_update=True)
    since = watermark.value if watermark else 0
    upto = session.scalar(select(func.max(Click.id)))
    if upto is None or upto <= since:
        session.commit()
        return 0
    _follow_curation(since)
    new = and_(Click.id > since, Click.id <= upto)
    hour = hour_of(Click.occurred_at)
    counted = (
        select(hour.label("hour"), Click.link_id, func.count().label("clicks"))
        .where(new, Click.counted.is_(True))
        .group_by(hour, Click.link_id)
    )
    adding = upsert(ReportClickHour).from_select(["hour", "link_id", "clicks"], counted)
    session.execute(adding.on_conflict_do_update(
        index_elements=["hour", "link_id"], set_={"clicks": ReportClickHour.clicks + adding.excluded.clicks}
    ))
    for unit in ("day", "month"):
        start = span_start(unit, Click.occurred_at)
        _add_clicks(ReportLinkClicks, ["link_id", "unit", "start"], select(
            Click.link_id, literal(unit), start, func.count(), sketch_of(Click.visitor_id)
        ).where(new, Click.counted.is_(True)).group_by(Click.link_id, start))
    _add_brand_hours(new)
    read = session.scalar(select(func.count()).where(new))
    session.execute(
        upsert(ReportWatermark).values(name=CLICKS_WATERMARK, value=upto)
        .on_conflict_do_update(index_elements=["name"], set_={"value": upto})
    )
    session.commit()
    return read


def _add_clicks(model, keys: list[str], rows) -> None:
    """Upsert ``(*keys, clicks, visitors)`` rows into a click rollup: counts added, sketches united."""
    adding = upsert(model).from_select([*keys, "clicks", "visitors"], rows)
    db.session.execute(adding.on_conflict_do_update(index_elements=keys, set_={
        "clicks": model.clicks + adding.excluded.clicks, "visitors": sketch_union(model.visitors, adding.excluded.visitors),
    }))


def _add_brand_hours(clicks) -> None:
    """Add these clicks to ``report_brand_click_hours``, for the brands of ``report_link_brands``."""
    hour = hour_of(Click.occurred_at)
    _add_clicks(ReportBrandClickHour, ["brand_id", "hour"], select(
        ReportLinkBrand.brand_id, hour, func.count(), sketch_of(Click.visitor_id)
    ).join(ReportLinkBrand, ReportLinkBrand.link_id == Click.link_id)
        .where(clicks, Click.counted.is_(True)).group_by(ReportLinkBrand.brand_id, hour))


def link_brands():
    """``(link_id, brand_id)`` of the links that lead to a brand's products: to one of them, or
    to a collection that shows one (as curated now). A link to a whole storefront is no brand's."""
    shown = (StorefrontItem.removed_at.is_(None), Product.id == StorefrontItem.product_id)
    return union(
        select(ShareLink.id.label("link_id"), Product.brand_id.label("brand_id"))
        .join(StorefrontItem, StorefrontItem.id == ShareLink.storefront_item_id).join(Product, shown[1])
        .where(shown[0]),
        select(ShareLink.id, Product.brand_id)
        .join(StorefrontItem, StorefrontItem.collection_id == ShareLink.collection_id).join(Product, shown[1])
        .where(shown[0], ShareLink.storefront_item_id.is_(None)),
    )


def _follow_curation(since: int) -> None:
    """Bring ``report_link_brands`` up to the links' brands as curated now. A brand that gains or
    loses a link with clicks already rolled up is recounted from the raw clicks (a sketch cannot
    take visitors away); a new link only joins its brands, from its first click on."""
    session = db.session
    now = set(session.execute(link_brands()).all())
    kept = set(session.execute(select(ReportLinkBrand.link_id, ReportLinkBrand.brand_id)).all())
    if now == kept:
        return
    changed = now ^ kept
    clicked = set(session.scalars(
        select(ReportClickHour.link_id).where(ReportClickHour.link_id.in_({link for link, _ in changed})).distinct()
    ))
    recount = {brand for link, brand in changed if link in clicked}
    for link_id, brand_id in kept - now:
        session.execute(delete(ReportLinkBrand).where(ReportLinkBrand.link_id == link_id, ReportLinkBrand.brand_id == brand_id))
    insert_rows(ReportLinkBrand.__table__, [{"link_id": link, "brand_id": brand} for link, brand in sorted(now - kept)])
    if recount:
        log.info("recounting the clicks of brands %s (curation changed)", sorted(recount))
        session.execute(delete(ReportBrandClickHour).where(ReportBrandClickHour.brand_id.in_(recount)))
        _add_brand_hours(and_(ReportLinkBrand.brand_id.in_(recount), Click.id <= since))  # the clicks rolled up so far


# ------------------------------------------------------------------ from scratch


def rebuild(batch_size: int = 5000) -> dict[str, int]:
    """Empty the rollups and rebuild them from the raw tables (``flask reports rebuild``)."""
    session = db.session
    session.execute(delete(ReportStaleOrder))
    session.execute(delete(ReportSale))
    session.commit()
    order_ids = list(session.scalars(select(Order.id).where(Order.status.in_(SOLD)).order_by(Order.id)))
    for start in range(0, len(order_ids), batch_size):
        insert_rows(ReportSale.__table__, _sale_rows(_paid_orders(order_ids[start:start + batch_size])))
        session.commit()
    _analyze(ReportSale)  # the statistics of an empty table would plan what follows (and the job) badly
    rebuild_totals()
    rebuild_shoppers()
    session.commit()
    clicks = rebuild_clicks()
    session.commit()
    _vacuum(ReportSale, ReportSaleTotal, ReportShopper, ReportInfluencerProduct,
            ReportClickHour, ReportLinkClicks, ReportBrandClickHour, ReportLinkBrand)
    return {"orders": len(order_ids), "clicks": clicks}


def _analyze(*models) -> None:
    """Fresh planner statistics after a bulk rewrite, in the transaction."""
    if on_postgresql():
        db.session.execute(text(f"ANALYZE {', '.join(model.__table__.name for model in models)}"))


def _vacuum(*models) -> None:
    """``VACUUM ANALYZE`` what was rewritten, once committed: fresh statistics, and the
    visibility map set, without which the reports' index-only scans also read every row's
    page (docs/benchmarks.md). Autovacuum gets there too, later, where it runs."""
    if on_postgresql():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM ANALYZE {', '.join(model.__table__.name for model in models)}"))


def rebuild_clicks() -> int:
    """Empty the click rollups and roll every click up again; returns the clicks read."""
    session = db.session
    with drain_lock(wait=True):
        for model in (ReportClickHour, ReportLinkClicks, ReportBrandClickHour, ReportLinkBrand):
            session.execute(delete(model))
        session.execute(delete(ReportWatermark).where(ReportWatermark.name == CLICKS_WATERMARK))
        return _roll_up_clicks_since_watermark()
