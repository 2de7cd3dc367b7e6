"""The reports: what a brand's influencer relationships earned, and what an influencer did.

They read the rollups (``report_sales``, ``report_click_hours``; see ``rollups.py``), plus the
raw clicks for unique visitors (a distinct count cannot be added up from rollups). Periods
are local dates in the requested IANA zone, ``from`` inclusive and ``to`` exclusive. Money is
reported in one currency at a time (``currency=``, by default the brand's biggest in the
period) with every currency's totals beside it. Definitions (see docs/reports.md):

- revenue is net of refunds (gross − refunds) of the orders paid in the period;
- a row's orders are the distinct orders it has a share of (an order split between two
  influencers counts for each, and once in the totals); units, gross, refunds and
  commissions are whole shares that add up exactly to the totals;
- clicks are counted clicks on links to the brand's products (an item link), or to a
  collection or storefront that shows them; unique visitors are distinct visitor cookies;
- commissions are the ledger's (reversals included, canceled lines out) for the stored
  credits; under ``model=`` they are estimated at each influencer's rate, rounded down per line;
- conversion rate = orders / unique visitors; earnings per click = commissions / clicks;
  return on commission spend = revenue / commissions; average order value = revenue / orders
  (averages in minor units, rounded half up).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, case, false, func, literal, literal_column, null, or_, select, true, union_all
from sqlalchemy.sql import ColumnElement

from marketplace.accounts.models import User
from marketplace.attribution.rules import MODELS
from marketplace.brands.models import Brand
from marketplace.brands.services import require_member
from marketplace.catalog.models import Product
from marketplace.db import db, on_postgresql
from marketplace.errors import Invalid, NotFound
from marketplace.influencers.models import InfluencerProfile
from marketplace.links.models import Click, ShareLink
from marketplace.reports.cohorts import COHORT_DAYS, as_utc, cohort_columns, cohort_sums, cohort_totals
from marketplace.reports.models import (
    ALL,
    ReportBrandClickHour,
    ReportClickHour,
    ReportInfluencerProduct,
    ReportLinkClicks,
    ReportSale,
    ReportSaleTotal,
    ReportShopper,
)
from marketplace.reports.rollups import dim_key, dim_rows, hour_of, link_brands, sale_rows, sale_sums, shopper_key
from marketplace.reports.sketches import estimate, sketch_of, sketches, union_sketch
from marketplace.storefronts.models import Storefront, StorefrontItem

BRAND_GROUPS = ("influencer", "channel", "product", "storefront", "campaign", "day", "week", "month")
INFLUENCER_GROUPS = ("link", "channel", "product", "brand", "day")
TIME_GROUPS = ("day", "week", "month")
LINK_GROUPS = ("channel", "campaign", "link")  # read from the sale's link
# The rows that hold the stored credits' money: credited shares and organic lines (a line's other
# rows are other models' touchpoints, zero here). Partial indexes cover exactly these.
COUNTED = or_(ReportSale.credited_ppm > 0, ReportSale.influencer_id.is_(None))
ORGANIC = "organic"


@dataclass(frozen=True)
class Period:
    since: date
    until: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(), self.zone).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until, time(), self.zone).astimezone(timezone.utc)

    def bucket(self, moment: datetime, unit: str) -> date:
        """The local day, week (starting Monday) or month a UTC moment falls in."""
        local = moment.astimezone(self.zone).date()
        if unit == "week":
            return local - timedelta(days=local.weekday())
        if unit == "month":
            return local.replace(day=1)
        return local


def period(since: date, until: date, tz: str = "UTC") -> Period:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("unknown time zone", errors={"tz": ["Not an IANA time zone."]}) from None
    if until <= since:
        raise Invalid("the period is empty", errors={"to": ["Must be after from."]})
    if (until - since).days > 3 * 366:
        raise Invalid("the period is too long", errors={"to": ["At most three years after from."]})
    return Period(since, until, zone)


def _ratio(numerator: int, denominator: int, places: int = 4) -> float | None:
    return round(numerator / denominator, places) if denominator else None


def _average(amount: int, count: int) -> int | None:
    """A money average in minor units, rounded half up."""
    return (2 * amount + count) // (2 * count) if count else None


# ------------------------------------------------------------------ building blocks


def _brand_link_ids(brand_id: int) -> list[int]:
    """Links that lead to the brand's products (``rollups.link_brands``). A link to a whole
    storefront is the influencer's, not a brand's: its clicks are in the influencer's reports,
    and its sales in the brand's. Read first, as a list: the click queries then plan for the
    links they get (index scans for a few, a scan for many)."""
    pairs = link_brands().subquery()
    return list(db.session.scalars(select(pairs.c.link_id).where(pairs.c.brand_id == brand_id)))


def _link_product():
    return select(StorefrontItem.product_id).where(StorefrontItem.id == ShareLink.storefront_item_id).scalar_subquery()


def _click_key(group_by: str) -> ColumnElement | None:
    """What a click is grouped by (None for the time groupings, folded from hours)."""
    return {
        "influencer": ShareLink.influencer_id,
        "channel": ShareLink.channel,
        "campaign": ShareLink.campaign,
        "storefront": ShareLink.storefront_id,
        "link": ShareLink.code,
        "product": _link_product(),
        # one subquery, so it correlates with the statement's share link (nested ones did not)
        "brand": select(Product.brand_id).join(StorefrontItem, StorefrontItem.product_id == Product.id)
        .where(StorefrontItem.id == ShareLink.storefront_item_id).scalar_subquery(),
    }.get(group_by)


def _sale_key(group_by: str) -> ColumnElement | None:
    return {
        "influencer": ReportSale.influencer_id,
        "channel": case((ReportSale.link_id.is_(None), literal("discount_code")), else_=ShareLink.channel),
        "campaign": ShareLink.campaign,
        "storefront": ReportSale.storefront_id,
        "product": ReportSale.product_id,
        "link": ShareLink.code,
        "brand": ReportSale.brand_id,
    }.get(group_by)


def _clicks(links, p: Period, group_by: str) -> dict:
    """Counted clicks per group, from the hourly rollup (for a key: added up per link first, so
    the key, a subquery for some groupings, is worked out once per link, not per hour)."""
    key = _click_key(group_by)
    hour = ReportClickHour.hour
    in_period = (ReportClickHour.link_id.in_(links), hour >= p.start, hour < p.end)
    if key is None:
        statement = select(hour, func.sum(ReportClickHour.clicks)).where(*in_period).group_by(hour)
    else:
        per_link = (select(ReportClickHour.link_id, func.sum(ReportClickHour.clicks).label("clicks"))
                    .where(*in_period).group_by(ReportClickHour.link_id).subquery())
        statement = (select(key.label("key"), func.sum(per_link.c.clicks))
                     .join(ShareLink, ShareLink.id == per_link.c.link_id).group_by(key))
    found: dict = defaultdict(int)
    for key_value, clicks in db.session.execute(statement):
        found[p.bucket(key_value, group_by) if key is None else key_value] += clicks
    return found


def _visitors(links, p: Period, group_by: str) -> dict:
    """Distinct visitors per group and in all (under the key ``None``), from the raw clicks."""
    window = (Click.link_id.in_(links), Click.occurred_at >= p.start, Click.occurred_at < p.end, Click.counted.is_(True))
    total = db.session.scalar(select(func.count(func.distinct(Click.visitor_id))).where(*window))
    key = _click_key(group_by)
    found: dict = {}
    if key is not None:
        statement = (
            select(key.label("key"), func.count(func.distinct(Click.visitor_id)))
            .join(ShareLink, ShareLink.id == Click.link_id).where(*window).group_by(key)
        )
        found = dict(db.session.execute(statement).all())
    elif on_postgresql():
        local = func.date_trunc(group_by, func.timezone(p.zone.key, Click.occurred_at))
        found = {
            moment.date(): count
            for moment, count in db.session.execute(
                select(local, func.count(func.distinct(Click.visitor_id))).where(*window).group_by(local)
            )
        }
    else:  # SQLite has no time zones: distinct (hour, visitor) pairs, folded here
        hour = hour_of(Click.occurred_at)
        seen: dict = defaultdict(set)
        for moment, visitor in db.session.execute(select(hour, Click.visitor_id).where(*window).distinct()):
            seen[p.bucket(as_utc(moment), group_by)].add(visitor)
        found = {bucket: len(visitors) for bucket, visitors in seen.items()}
    found[None] = total
    return found


def _measures(variant: str, commissions_from_ledger: bool):
    """The sums of one variant: orders, units, gross, refunds, commissions."""
    ppm = getattr(ReportSale, f"{variant}_ppm")
    gross, refunds = getattr(ReportSale, f"{variant}_gross"), getattr(ReportSale, f"{variant}_refunds")
    if commissions_from_ledger:
        commissions = func.sum(ReportSale.commissions)
    else:
        commissions = func.sum((gross - refunds) * ReportSale.rate_bps / 10000)
    return (
        func.count(func.distinct(case((ppm > 0, ReportSale.order_id)))),
        func.sum(getattr(ReportSale, f"{variant}_units")),
        func.sum(gross),
        func.sum(refunds),
        commissions,
    )


def _sales(where, variants: list[str], group_by: str, p: Period, ledger: bool) -> dict:
    """Per group: {variant: [orders, units, gross, refunds, commissions]} of the credited rows."""
    key = _sale_key(group_by)
    columns = [m for variant in variants for m in _measures(variant, ledger and variant == "credited")]
    hour = hour_of(ReportSale.paid_at)
    statement = (
        select((hour if key is None else key).label("key"), *columns)
        .where(*where, ReportSale.influencer_id.is_not(None))
        .group_by(hour if key is None else key)
    )
    if group_by in LINK_GROUPS:
        statement = statement.outerjoin(ShareLink, ShareLink.id == ReportSale.link_id)
    found: dict = {}
    for row in db.session.execute(statement.having(_any_share(variants))):
        key_value = p.bucket(as_utc(row[0]), group_by) if key is None else row[0]
        figures = found.setdefault(key_value, {variant: [0] * 5 for variant in variants})
        for index, variant in enumerate(variants):
            values = row[1 + 5 * index: 6 + 5 * index]
            figures[variant] = [a + int(b or 0) for a, b in zip(figures[variant], values, strict=True)]
    # Time groupings add hours up: every row of an order has the order's paid_at, so an order
    # lies in one hour and the distinct counts of hours add up to the distinct count of a period.
    return found


def _any_share(variants: list[str]):
    """A group that some variant gives a share (rows another model credits are zero in this one)."""
    return or_(*(func.max(getattr(ReportSale, f"{variant}_ppm")) > 0 for variant in variants))


def _currency_totals(where) -> list[dict]:
    rows = db.session.execute(
        select(
            ReportSale.currency,
            func.count(func.distinct(ReportSale.order_id)),
            func.sum(ReportSale.credited_gross),
            func.sum(ReportSale.credited_refunds),
            func.sum(case((ReportSale.influencer_id.is_not(None), ReportSale.credited_gross - ReportSale.credited_refunds), else_=0)),
        )
        .where(*where)
        .group_by(ReportSale.currency)
        .order_by(func.sum(ReportSale.credited_gross).desc(), ReportSale.currency)
    ).all()
    return [
        {"currency": currency, "orders": orders, "gross_revenue": int(gross), "refunds": int(refunds),
         "revenue": int(gross - refunds), "attributed_revenue": int(attributed), "organic_revenue": int(gross - refunds - attributed)}
        for currency, orders, gross, refunds, attributed in rows
    ]


def _row(key, label, clicks: int, visitors: int | None, figures: list[int]) -> dict:
    orders, units, gross, refunds, commissions = figures
    revenue = gross - refunds
    return {
        "key": None if key is None else str(key), "label": label, "clicks": clicks, "unique_visitors": visitors,
        "orders": orders, "units": units, "gross_revenue": gross, "refunds": refunds, "revenue": revenue,
        "commissions": commissions,
        "conversion_rate": _ratio(orders, visitors or 0),
        "earnings_per_click": _average(commissions, clicks),
        "revenue_per_click": _average(revenue, clicks),
        "return_on_commission_spend": _ratio(revenue, commissions, 2),
        "average_order_value": _average(revenue, orders),
    }


def _labels(group_by: str, keys) -> dict:
    keys = {k for k in keys if k is not None}
    if not keys:
        return {}
    if group_by == "influencer":
        return dict(db.session.execute(select(InfluencerProfile.id, InfluencerProfile.handle).where(InfluencerProfile.id.in_(keys))).all())
    if group_by == "product":
        return dict(db.session.execute(select(Product.id, Product.title).where(Product.id.in_(keys))).all())
    if group_by == "storefront":
        return dict(db.session.execute(select(Storefront.id, Storefront.slug).where(Storefront.id.in_(keys))).all())
    if group_by == "brand":
        return dict(db.session.execute(select(Brand.id, Brand.name).where(Brand.id.in_(keys))).all())
    return {key: key.isoformat() if isinstance(key, date) else str(key) for key in keys}


def _ordered_keys(group_by: str, keys, revenue_of) -> list:
    """Time in order; anything else by revenue, biggest first, then by key (stable)."""
    present = [k for k in keys if k is not None]
    if group_by in TIME_GROUPS:
        ordered = sorted(present)
    else:
        ordered = sorted(present, key=lambda k: (-revenue_of(k), str(k)))
    return ordered + ([None] if None in keys else [])


# ------------------------------------------------------------------ brand reports: spans

DAY = timedelta(days=1)


def _floor(moment: datetime, unit: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    if unit in ("day", "month"):
        moment = moment.replace(hour=0)
    return moment.replace(day=1) if unit == "month" else moment


def _ceil(moment: datetime, unit: str) -> datetime:
    floor = _floor(moment, unit)
    if floor == moment:
        return floor
    if unit == "month":
        return (floor + timedelta(days=32)).replace(day=1)
    return floor + (DAY if unit == "day" else timedelta(hours=1))


@dataclass(frozen=True)
class Spans:
    """A UTC interval cut into whole months, whole days (outside those months) and the rest
    (partial days, read from the raw rows): how the brand reports read the day and month
    rollups. For sums, a month may reach past the interval, its days outside it in ``less``
    (taken away): a month less a day reads far fewer rows than 30 days."""

    months: list[tuple[datetime, datetime]]
    days: list[tuple[datetime, datetime]]
    rest: list[tuple[datetime, datetime]]
    less: list[tuple[datetime, datetime]] = field(default_factory=list)

    def of(self, unit_column, start_column) -> ColumnElement:
        """The rollup rows of the whole months and days (and of the days to take away)."""
        return or_(false(), *(
            and_(unit_column == unit, start_column >= lo, start_column < hi)
            for unit, ranges in (("month", self.months), ("day", self.days + self.less)) for lo, hi in ranges
        ))

    def sign(self, unit_column, start_column) -> ColumnElement:
        """-1 for the rows of the days taken away, else 1."""
        less = [and_(unit_column == "day", start_column >= lo, start_column < hi) for lo, hi in self.less]
        return case((or_(*less), -1), else_=1) if less else literal(1)


def _spans(start: datetime, end: datetime, subtract: bool = False) -> Spans:
    """``subtract``: the reader adds figures up (no sketches), so a month reaching past either
    end, less its days outside, is used where those are fewer than its days inside."""
    first_day, last_day = _ceil(start, "day"), _floor(end, "day")
    if first_day >= last_day:
        return Spans([], [], [(start, end)])
    first_month, last_month = _ceil(first_day, "month"), _floor(last_day, "month")
    if first_month >= last_month:
        first_month = last_month = last_day
    less = []
    if subtract and first_month < last_month:
        before, after = _floor(first_day, "month"), _ceil(last_day, "month")
        if first_day - before < first_month - first_day:
            less.append((before, first_day))
            first_day = first_month = before
        if after - last_day < last_day - last_month:
            less.append((last_day, after))
            last_day = last_month = after
    months = [(first_month, last_month)] if first_month < last_month else []
    days = [(lo, hi) for lo, hi in ((first_day, first_month), (last_month, last_day)) if lo < hi]
    rest = [(lo, hi) for lo, hi in ((start, _ceil(start, "day")), (_floor(end, "day"), end)) if lo < hi]
    return Spans(months, days, rest, less)


def _hour_spans(start: datetime, end: datetime) -> tuple[tuple[datetime, datetime], list[tuple[datetime, datetime]]]:
    """Whole UTC hours, and the rest (only in zones whose offset is not whole hours)."""
    first, last = _ceil(start, "hour"), _floor(end, "hour")
    if first >= last:
        return (first, first), [(start, end)]
    return (first, last), [(lo, hi) for lo, hi in ((start, first), (last, end)) if lo < hi]


# ------------------------------------------------------------------ brand reports: sales

SALE_FIGURES = ("orders", "units", "gross", "refunds")
KEY_TYPES = {"influencer": int, "storefront": int, "product": int, "reshare": int}


def _variant_columns(variant: str) -> list[str]:
    commissions = "credited_commissions" if variant == "credited" else f"{variant}_rate_revenue"
    return [*(f"{variant}_{name}" for name in SALE_FIGURES), commissions]


def _variant_figures(variant: str, sums: dict) -> list[int]:
    """[orders, units, gross, refunds, commissions]: under a model, commissions are estimated at
    each line's rate, rounded down once for the group."""
    orders, units, gross, refunds, commissions = (int(sums[name] or 0) for name in _variant_columns(variant))
    return [orders, units, gross, refunds, commissions if variant == "credited" else commissions // 10000]


def _sale_totals(brand_id: int, p: Period, dim: str, by: str, names: list[str], currency: str | None) -> list[dict]:
    """Sums of ``report_sale_totals`` columns over the period, per ``by`` ("key", "hour" or
    "currency"): whole UTC spans from the rollup (months, days, and hours for "all"), the
    partial ones from ``report_sales``, with the same sums."""
    totals = ReportSaleTotal.__table__

    def hours(first: datetime, last: datetime) -> ColumnElement:
        return and_(totals.c.unit == "hour", totals.c.start >= first, totals.c.start < last)

    sign = literal(1)
    if dim == ALL and by == "hour":
        (first, last), rest = _hour_spans(p.start, p.end)
        whole = hours(first, last)
    else:
        spans = _spans(p.start, p.end, subtract=True)
        whole, rest = spans.of(totals.c.unit, totals.c.start), spans.rest
        sign = spans.sign(totals.c.unit, totals.c.start)
        if dim == ALL:  # "all" has hour rows: only partial hours are left to the raw rows
            cut = [_hour_spans(lo, hi) for lo, hi in rest]
            whole = or_(whole, *(hours(first, last) for (first, last), _ in cut))
            rest = [part for _, parts in cut for part in parts]
    group = {"key": totals.c.key, "hour": totals.c.start, "currency": totals.c.currency}[by]
    where = [totals.c.brand_id == brand_id, totals.c.dim == dim, whole]
    if currency is not None:
        where.append(totals.c.currency == currency)
    parts = [select(group.label("by"), *((sign * totals.c[name]).label(name) for name in names)).where(*where)]
    for lo, hi in rest:
        raw = sale_rows(and_(ReportSale.brand_id == brand_id, ReportSale.paid_at >= lo, ReportSale.paid_at < hi,
                             *([ReportSale.currency == currency] if currency is not None else []))).subquery()
        sums = {column.name: column for column in sale_sums(raw)}
        raw_group = {"key": dim_key(dim, raw) if dim != ALL else null(), "hour": hour_of(raw.c.paid_at),
                     "currency": raw.c.currency}[by]
        parts.append(select(raw_group.label("by"), *(sums[name] for name in names))
                     .where(*(dim_rows(dim, raw) if dim != ALL else [])).group_by(raw_group))
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    statement = select(rows.c.by, *(func.sum(rows.c[name]).label(name) for name in names)).group_by(rows.c.by)
    return [row._asdict() for row in db.session.execute(statement)]


def _brand_sales(brand_id: int, p: Period, currency: str, variants: list[str], group_by: str) -> dict:
    """Per group: {variant: [orders, units, gross, refunds, commissions]} of the credited rows,
    for the groups some variant gives a share."""
    names = [name for variant in variants for name in _variant_columns(variant)]
    found: dict = {}
    if group_by in TIME_GROUPS:
        for row in _sale_totals(brand_id, p, ALL, "hour", names, currency):
            figures = found.setdefault(p.bucket(as_utc(row["by"]), group_by), {v: [0] * 5 for v in variants})
            for variant in variants:
                figures[variant] = [a + b for a, b in zip(figures[variant], _variant_figures(variant, row), strict=True)]
        # Estimated commissions: rounded down per hour here (an order lies in one hour).
        return {key: figures for key, figures in found.items() if any(figures[v][0] for v in variants)}
    convert = KEY_TYPES.get(group_by, lambda key: key)
    for row in _sale_totals(brand_id, p, group_by, "key", names, currency):
        figures = {variant: _variant_figures(variant, row) for variant in variants}
        if any(figures[v][0] for v in variants):
            found[None if row["by"] is None else convert(row["by"])] = figures
    return found


ALL_FIGURES = ("orders", "organic_orders", "organic_units", "organic_gross", "organic_refunds")


def _brand_totals(brand_id: int, p: Period, currency: str, variants: list[str], found: dict) -> dict:
    """Per variant: (attributed, organic, all) as [orders, units, gross, refunds, commissions]."""
    names = [*ALL_FIGURES, *(f"{variant}_orders" for variant in variants)]
    [row] = _sale_totals(brand_id, p, ALL, "currency", names, currency) or [dict.fromkeys(["by", *names], 0)]
    row = {name: int(value or 0) for name, value in row.items() if name != "by"}
    totals = {}
    for variant in variants:
        sums = [sum(figures[variant][m] for figures in found.values()) for m in range(1, 5)]
        attributed = [row[f"{variant}_orders"], *sums]
        organic = [row["organic_orders"], row["organic_units"], row["organic_gross"], row["organic_refunds"], 0]
        totals[variant] = (attributed, organic, [row["orders"]] + [a + o for a, o in zip(sums, organic[1:], strict=True)])
    return totals


def _brand_currencies(brand_id: int, p: Period) -> list[dict]:
    names = ["orders", "credited_gross", "credited_refunds", "organic_gross", "organic_refunds"]
    found = []
    for row in _sale_totals(brand_id, p, ALL, "currency", names, None):
        orders, gross, refunds, organic_gross, organic_refunds = (int(row[name] or 0) for name in names)
        if not orders:
            continue
        attributed = gross - refunds
        organic = organic_gross - organic_refunds
        found.append({"currency": row["by"], "orders": orders, "gross_revenue": gross + organic_gross,
                      "refunds": refunds + organic_refunds, "revenue": attributed + organic,
                      "attributed_revenue": attributed, "organic_revenue": organic})
    return sorted(found, key=lambda c: (-c["gross_revenue"], c["currency"]))


# ------------------------------------------------------------------ brand reports: clicks


def _click_range(p: Period) -> tuple[datetime, datetime]:
    """Clicks count per UTC hour: those of the hours starting in the period."""
    return _ceil(p.start, "hour"), _ceil(p.end, "hour")


def _brand_clicks(brand_id: int, links: list[int], p: Period, group_by: str, visitors: bool = True) -> tuple[dict, dict]:
    """(clicks, unique visitors) per group, visitors in all under the key ``None``. Groupings by
    key read the day and month rollups per link (and the raw clicks of partial days); by time,
    the brand's hours. Visitors come from the sketches, or are counted on the raw clicks."""
    start, end = _click_range(p)
    with_sketches = visitors and sketches()
    if group_by in TIME_GROUPS:
        in_hours = (ReportBrandClickHour.brand_id == brand_id, ReportBrandClickHour.hour >= start, ReportBrandClickHour.hour < end)
        clicks: dict = defaultdict(int)
        for hour, count in db.session.execute(select(ReportBrandClickHour.hour, ReportBrandClickHour.clicks).where(*in_hours)):
            clicks[p.bucket(as_utc(hour), group_by)] += count
        if not with_sketches:
            return clicks, _visitors(links, p, group_by) if visitors else {}
        bucket = func.date_trunc(literal_column(f"'{group_by}'"), func.timezone(p.zone.key, ReportBrandClickHour.hour))
        per_bucket = select(bucket.label("key"), literal(0).label("clicks"), union_sketch(ReportBrandClickHour.visitors).label("visitors")) \
            .where(*in_hours).group_by(bucket)
        return clicks, {None if total else moment.date(): n for total, moment, _, n in _with_total(per_bucket)}
    spans = _spans(start, end)
    parts = [select(ReportLinkClicks.link_id, ReportLinkClicks.clicks, ReportLinkClicks.visitors).where(
        ReportLinkClicks.link_id.in_(links), spans.of(ReportLinkClicks.unit, ReportLinkClicks.start))]
    for lo, hi in spans.rest:
        parts.append(
            select(Click.link_id, func.count(), sketch_of(Click.visitor_id) if with_sketches else null())
            .where(Click.link_id.in_(links), Click.occurred_at >= lo, Click.occurred_at < hi, Click.counted.is_(True))
            .group_by(Click.link_id)
        )
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    key = _click_key(group_by)
    if not with_sketches:
        statement = select(key, func.sum(rows.c.clicks)).join(ShareLink, ShareLink.id == rows.c.link_id).group_by(key)
        clicks = {key_value: int(n) for key_value, n in db.session.execute(statement)}
        return clicks, _visitors(links, p, group_by) if visitors else {}
    per_key = (select(key.label("key"), func.sum(rows.c.clicks).label("clicks"), union_sketch(rows.c.visitors).label("visitors"))
               .join(ShareLink, ShareLink.id == rows.c.link_id).group_by(key))
    clicks, found = {}, {None: 0}
    for total, key_value, n, distinct in _with_total(per_key):
        if total:
            found[None] = distinct
        else:
            clicks[key_value], found[key_value] = n, distinct
    return clicks, found


def _with_total(groups) -> list[tuple]:
    """``(is the total, key, clicks, visitors)`` of ``groups`` (per key: clicks summed, visitors'
    sketches united), then their total: its visitors the union of the groups' sketches, not of
    every row's again (grouping sets merged each sketch twice)."""
    per = groups.cte("per_group")
    statement = union_all(
        select(false(), per.c.key, per.c.clicks, estimate(per.c.visitors)),
        select(true(), null(), func.sum(per.c.clicks), estimate(union_sketch(per.c.visitors))),
    )
    return [(total, key, int(n or 0), int(distinct or 0)) for total, key, n, distinct in db.session.execute(statement)]


# ------------------------------------------------------------------ brand reports


def _brand_scope(user: User, brand_id: int, p: Period, currency: str | None) -> tuple[list, str | None, list[dict]]:
    """A brand report's rows (the brand's, paid in the period, for a member), its currency (by
    default the one with the most sales) and every currency's totals."""
    require_member(user, brand_id)
    totals = _brand_currencies(brand_id, p)
    if currency is None:
        currency = totals[0]["currency"] if totals else None
    in_period = [ReportSale.brand_id == brand_id, ReportSale.paid_at >= p.start, ReportSale.paid_at < p.end]
    return [*in_period, ReportSale.currency == currency], currency, totals


def attribution_report(user: User, brand_id: int, p: Period, group_by: str, model: str | None, currency: str | None) -> dict:
    variant = model or "credited"
    _, currency, currency_totals = _brand_scope(user, brand_id, p, currency)
    links = _brand_link_ids(brand_id)
    clicks, visitors = _brand_clicks(brand_id, links, p, group_by)
    sales = _brand_sales(brand_id, p, currency, [variant], group_by)
    keys = set(clicks) | set(sales)
    labels = _labels(group_by, keys)
    empty = [0] * 5
    ordered = _ordered_keys(group_by, keys, lambda k: (sales.get(k, {variant: empty})[variant][2]))
    rows = [
        _row(key, labels.get(key), clicks.get(key, 0), visitors.get(key, 0), sales.get(key, {variant: empty})[variant])
        for key in ordered
    ]
    attributed, organic, everything = _brand_totals(brand_id, p, currency, [variant], sales)[variant]
    total_clicks = sum(clicks.values())
    return {
        "brand_id": brand_id, **_period_view(p), "group_by": group_by, "model": variant,
        "commissions_basis": "ledger" if variant == "credited" else "estimated",
        "currency": currency, "currencies": currency_totals, "rows": rows,
        "organic": _row(ORGANIC, "organic (no referral)", 0, None, organic),
        "attributed_total": _row(None, "attributed", total_clicks, visitors[None], attributed),
        "total": _row(None, "all sales", total_clicks, visitors[None], everything),
    }


def models_report(user: User, brand_id: int, p: Period, group_by: str, currency: str | None) -> dict:
    """The period under all five models side by side (commissions estimated at each rate)."""
    _, currency, currency_totals = _brand_scope(user, brand_id, p, currency)
    sales = _brand_sales(brand_id, p, currency, list(MODELS), group_by)
    clicks, _ = _brand_clicks(brand_id, _brand_link_ids(brand_id), p, group_by, visitors=False)
    keys = set(sales) | set(clicks)
    labels = _labels(group_by, keys)
    empty = {model: [0] * 5 for model in MODELS}
    rows = []
    for key in _ordered_keys(group_by, keys, lambda k: sales.get(k, empty)["last_click"][2]):
        row = {"key": None if key is None else str(key), "label": labels.get(key), "clicks": clicks.get(key, 0)}
        for model in MODELS:
            orders, units, gross, refunds, commissions = sales.get(key, empty)[model]
            row |= {f"{model}_orders": orders, f"{model}_units": units, f"{model}_revenue": gross - refunds,
                    f"{model}_commissions": commissions}
        rows.append(row)
    totals = {}
    for model, (attributed, organic, _) in _brand_totals(brand_id, p, currency, list(MODELS), sales).items():
        totals |= {f"{model}_orders": attributed[0], f"{model}_revenue": attributed[2] - attributed[3],
                   f"{model}_commissions": attributed[4]}
    organic_revenue = organic[2] - organic[3]  # the same under every model
    return {"brand_id": brand_id, **_period_view(p), "group_by": group_by, "currency": currency,
            "currencies": currency_totals, "rows": rows, "totals": totals, "organic_revenue": organic_revenue}


def revenue_by_day(user: User, brand_id: int, p: Period, currency: str | None, top: int) -> dict:
    """Daily revenue (stored credits) of the brand's ``top`` influencers in the period, and of
    everyone else credited, for the chart. The leaders come from the totals by influencer, their
    days from their own rows, everyone else's from the brand's credited hours minus theirs."""
    in_scope, currency, _ = _brand_scope(user, brand_id, p, currency)
    names = ["credited_orders", "credited_gross", "credited_refunds"]
    revenue = {int(row["by"]): int(row["credited_gross"]) - int(row["credited_refunds"])
               for row in _sale_totals(brand_id, p, "influencer", "key", names, currency) if row["credited_orders"]}
    leaders = sorted(revenue, key=lambda i: (-revenue[i], i))[:top]
    days = [p.since + timedelta(days=n) for n in range((p.until - p.since).days)]
    hour = hour_of(ReportSale.paid_at)
    by_leader: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for moment, influencer_id, amount in db.session.execute(
        select(hour, ReportSale.influencer_id, func.sum(ReportSale.credited_gross - ReportSale.credited_refunds))
        .where(*in_scope, ReportSale.influencer_id.in_(leaders), ReportSale.credited_ppm > 0)
        .group_by(hour, ReportSale.influencer_id)
    ):
        by_leader[influencer_id][p.bucket(as_utc(moment), "day")] += int(amount)
    credited: dict[date, int] = defaultdict(int)
    for row in _sale_totals(brand_id, p, ALL, "hour", names, currency):
        credited[p.bucket(as_utc(row["by"]), "day")] += int(row["credited_gross"]) - int(row["credited_refunds"])
    handles = _labels("influencer", leaders)
    series = [{"label": handles.get(i, str(i)), "revenue": [by_leader[i].get(day, 0) for day in days]} for i in leaders]
    others = [credited.get(day, 0) - sum(by_leader[i].get(day, 0) for i in leaders) for day in days]
    if any(others):
        series.append({"label": "everyone else", "revenue": others})
    return {"currency": currency, "days": [day.isoformat() for day in days], "series": series}


def _period_view(p: Period) -> dict:
    return {"from": p.since.isoformat(), "to": p.until.isoformat(), "tz": p.zone.key}


# ------------------------------------------------------------------ relationships


def _cohort_figures(sums: dict) -> dict:
    """A cohort's figures from its sums (``cohorts.cohort_sums``, or ``report_shoppers`` added up)."""
    count = sums["shoppers"]
    figures = {
        "shoppers": count,
        "repeat_purchase_rate": _ratio(sums["repeaters"], count),
        "orders_per_shopper": _ratio(sums["orders"], count, 2),
        "orders": sums["orders"],
        "revenue": sums["gross"] - sums["refunds"],
        "refund_rate": _ratio(sums["refunds"], sums["gross"]),
        "halo_revenue": sums["halo"],
        "later_commissioned_revenue": sums["commissioned"],
        "first_purchase_revenue_per_shopper": _average(sums["first_purchase"], count),
    }
    for days in COHORT_DAYS:
        figures[f"revenue_{days}d"] = sums[f"revenue_{days}d"]
        figures[f"revenue_{days}d_per_shopper"] = _average(sums[f"revenue_{days}d"], count)
    return figures


def relationships_report(user: User, brand_id: int, p: Period, currency: str | None) -> dict:
    """Per influencer, the shoppers they first brought to the brand in the period (acquisition
    cohorts), beside those who came on their own; with each one's re-share reach and how their
    recommendations held up."""
    _, currency, currency_totals = _brand_scope(user, brand_id, p, currency)
    by_influencer = cohort_totals(brand_id, currency, p.start, p.end)
    influencers = sorted(k for k in by_influencer if k is not None)
    handles = _labels("influencer", influencers)
    reach = _network_reach(brand_id, p, currency)
    quality = _recommendation_quality(brand_id, p, currency)
    ordered = sorted(influencers, key=lambda i: (-by_influencer[i]["shoppers"], i))
    return {
        "brand_id": brand_id, **_period_view(p), "currency": currency, "currencies": currency_totals,
        "influencers": [
            {"influencer_id": i, "handle": handles.get(i), **_cohort_figures(by_influencer[i]),
             "network": reach.get(i, _NO_REACH), "recommendations": quality.get(i, _NO_QUALITY)}
            for i in ordered
        ],
        "organic": _cohort_figures(by_influencer.get(None) or cohort_sums([])),
    }


_NO_REACH = {"reshare_links": 0, "max_depth": 0, "reshare_clicks": 0, "reshare_orders": 0, "reshare_revenue": 0}
_NO_QUALITY = {"units": 0, "refund_rate": None, "products": 0, "reorder_rate": None}


def _network_reach(brand_id: int, p: Period, currency: str) -> dict[int, dict]:
    """Re-share chains from each influencer's links to the brand's products: how many links
    shoppers made from them, how deep, and the clicks and credited sales that came through."""
    reshares = list(db.session.scalars(
        select(ShareLink.id).where(ShareLink.depth > 0, ShareLink.id.in_(_brand_link_ids(brand_id)))
    ))
    found: dict[int, dict] = {}
    for influencer_id, links, depth in db.session.execute(
        select(ShareLink.influencer_id, func.count(), func.max(ShareLink.depth))
        .where(ShareLink.id.in_(reshares)).group_by(ShareLink.influencer_id)
    ):
        found[influencer_id] = dict(_NO_REACH, reshare_links=links, max_depth=depth)
    clicks, _ = _brand_clicks(brand_id, reshares, p, "influencer", visitors=False)
    for influencer_id, count in clicks.items():
        found.setdefault(influencer_id, dict(_NO_REACH))["reshare_clicks"] = count
    names = ["credited_orders", "credited_gross", "credited_refunds"]
    for row in _sale_totals(brand_id, p, "reshare", "key", names, currency):
        orders, gross, refunds = (int(row[name]) for name in names)
        if orders:
            found.setdefault(int(row["by"]), dict(_NO_REACH)).update(reshare_orders=orders, reshare_revenue=gross - refunds)
    return found


def _recommendation_quality(brand_id: int, p: Period, currency: str) -> dict[int, dict]:
    """For the brand's products each influencer sold in the period: the share of the gross
    refunded; and, of the (shopper, product) pairs they first sold in the period, the share
    the shopper bought again in a later order (from anyone): the reorder rate."""
    pairs = ReportInfluencerProduct
    # Per influencer and product first, then per influencer: products counted without the sort
    # that count(DISTINCT) needs (a quarter of a million pairs for the biggest brand's year).
    by_product = (
        select(pairs.influencer_id, func.count().label("pairs"), func.count().filter(pairs.reordered).label("reorders"))
        .where(pairs.brand_id == brand_id, pairs.currency == currency, pairs.first_at >= p.start, pairs.first_at < p.end)
        .group_by(pairs.influencer_id, pairs.product_id).subquery()
    )
    found: dict[int, dict] = {}
    for influencer_id, count, reorders, products in db.session.execute(
        select(by_product.c.influencer_id, func.sum(by_product.c.pairs), func.sum(by_product.c.reorders), func.count())
        .group_by(by_product.c.influencer_id)
    ):
        found[influencer_id] = dict(_NO_QUALITY, products=products, reorder_rate=_ratio(int(reorders), int(count)))
    names = ["credited_orders", "credited_units", "credited_gross", "credited_refunds"]
    for row in _sale_totals(brand_id, p, "influencer", "key", names, currency):
        orders, units, gross, refunds = (int(row[name]) for name in names)
        if orders:
            found.setdefault(int(row["by"]), dict(_NO_QUALITY)).update(units=units, refund_rate=_ratio(refunds, gross))
    return found


# ------------------------------------------------------------------ influencer views


def _influencer_of(user: User) -> InfluencerProfile:
    profile = db.session.scalar(select(InfluencerProfile).where(InfluencerProfile.user_id == user.id))
    if profile is None:
        raise NotFound("influencer profile not found")
    return profile


def performance_report(user: User, p: Period, group_by: str, currency: str | None) -> dict:
    influencer = _influencer_of(user)
    in_period = [ReportSale.influencer_id == influencer.id, ReportSale.paid_at >= p.start, ReportSale.paid_at < p.end,
                 ReportSale.credited_ppm > 0]
    currency_totals = _currency_totals(in_period)
    currency = currency or (currency_totals[0]["currency"] if currency_totals else None)
    where = [*in_period, ReportSale.currency == currency]
    links = list(db.session.scalars(select(ShareLink.id).where(ShareLink.influencer_id == influencer.id)))
    clicks = _clicks(links, p, group_by)
    sales = _sales(where, ["credited"], group_by, p, ledger=True)
    keys = set(clicks) | set(sales)
    labels = _labels(group_by, keys)
    empty = {"credited": [0] * 5}
    rows = []
    for key in _ordered_keys(group_by, keys, lambda k: sales.get(k, empty)["credited"][2]):
        orders, units, gross, refunds, earnings = sales.get(key, empty)["credited"]
        key_clicks = clicks.get(key, 0)
        rows.append({"key": None if key is None else str(key), "label": labels.get(key), "clicks": key_clicks,
                     "orders": orders, "units": units, "revenue": gross - refunds, "earnings": earnings,
                     "conversion_rate": _ratio(orders, key_clicks)})
    # Every row here is credited to the influencer: the currency's distinct orders are the total's.
    orders = next((c["orders"] for c in currency_totals if c["currency"] == currency), 0)
    units, gross, refunds, earnings = (sum(figures["credited"][m] for figures in sales.values()) for m in range(1, 5))
    total_clicks = sum(clicks.values())
    return {
        "influencer_id": influencer.id, **_period_view(p), "group_by": group_by, "currency": currency,
        "currencies": currency_totals, "rows": rows,
        "total": {"clicks": total_clicks, "orders": orders, "units": units, "revenue": gross - refunds,
                  "earnings": earnings, "conversion_rate": _ratio(orders, total_clicks)},
    }


def my_relationships(user: User, p: Period) -> dict:
    """The shoppers this influencer first brought to each brand (their first purchase from it in
    the period), per brand and currency, from ``report_shoppers``. Counts only; shoppers who chose
    to share themselves are listed by email."""
    influencer = _influencer_of(user)
    mine = (ReportShopper.acquired_by == influencer.id, ReportShopper.first_at >= p.start, ReportShopper.first_at < p.end)
    cohorts = {
        (row.brand_id, row.currency): {name: int(value or 0) for name, value in row._asdict().items()
                                       if name not in ("brand_id", "currency")}
        for row in db.session.execute(
            select(ReportShopper.brand_id, ReportShopper.currency, *cohort_columns()).where(*mine)
            .group_by(ReportShopper.brand_id, ReportShopper.currency)
        )
    }
    sharing = _sharing_shoppers()
    shared: dict[tuple[int, str], list[str]] = defaultdict(list)
    if sharing:
        for brand_id, currency, key in db.session.execute(
            select(ReportShopper.brand_id, ReportShopper.currency, ReportShopper.shopper_key)
            .where(*mine, ReportShopper.shopper_key.in_(sharing))
        ):
            shared[(brand_id, currency)].append(sharing[key])
    names = _labels("brand", {brand_id for brand_id, _ in cohorts})
    return {
        "influencer_id": influencer.id, **_period_view(p),
        "brands": [
            {"brand_id": brand_id, "brand": names.get(brand_id), "currency": currency, **_cohort_figures(sums),
             "shared_shoppers": sorted(shared[(brand_id, currency)]),
             "hidden_shoppers": sums["shoppers"] - len(shared[(brand_id, currency)])}
            for (brand_id, currency), sums in sorted(cohorts.items())
        ],
    }


def _sharing_shoppers() -> dict[str, str]:
    """The shopper keys and emails of the shoppers who chose to share themselves with influencers."""
    emails = db.session.scalars(select(User.email).where(User.share_with_influencers.is_(True)))
    return {shopper_key(email): email for email in emails}
