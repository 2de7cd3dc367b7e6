"""Generates the report benchmark's data set (issue #6) straight into an empty PostgreSQL database.

    .venv/bin/python bench/reports_data.py --database-url postgresql://postgres@127.0.0.1/gen_reports \
        [--scale 1] [--clicks 10000000] [--orders 1000000] [--shoppers 200000] [--influencers 2000] \
        [--brands 50] [--days 365] [--end 2026-11-30T00:00] [--seed 1]

Runs ``flask db upgrade`` on the (empty) database, then writes with ``COPY`` what a year of
the marketplace leaves behind: the catalog, the influencers' storefronts and share links
(with re-share chains), discount codes, shoppers, clicks, paid and refunded orders, the
attributions stored under the default model ``last_click`` (with ``attribution_shares``
holding every model's split), the commission ledger and the payouts. The report rollups
are left empty: ``flask reports rebuild`` builds them from this. Deterministic for a
given seed and ``--end``; ``--scale 0.01`` is a quick run of the same shape.

The distributions (docs/benchmarks.md, "Report data set", has the figures of a full run):

- influencers' popularity is Zipf-like (weight 1/rank): the top 1 % get about a third of
  the clicks and sales; shoppers keep a favourite storefront and brand;
- orders per shopper are Zipf-like around the mean ``orders / shoppers`` (5 by default):
  half the shoppers buy once, a few up to 100 times;
- clicks and orders follow a weekly cycle and peak in November (Black Friday week);
- three shoppers in four click share links; 90 % of their orders follow one of their clicks
  within the smallest window of the order's brands (sometimes after earlier clicks on other
  influencers' links), and their other clicks fall at random through the year; the other
  shoppers' orders are organic (no visitor id): about 75 % of orders are attributed;
- 15 % of the shoppers have an account (30 % of those consent to be named to influencers);
- 8 % of orders use an approved discount code; about 6 % are refunded, half of them fully;
- 5 % of the clicks are bots and 8 % repeats within the hour (both not counted); of the
  others, 55 % are the shoppers', the rest anonymous visitors' who never buy.

Attribution uses the app's own functions (``attribution.rules.allocate`` and ``model_shares``,
``attribution.services.once_per_hour``) on exactly the clicks the attribution job would
read (``attribution.services.attribute_orders`` stores the same rows for these orders), and
commission amounts the ledger's (``commissions.services.split_line`` and
``refund_reversal``). Simplified: no brand-specific influencer terms (rates come from the
product or the brand), payouts are monthly (on the 1st, for influencers with a payout
account, the lines whose hold ended before; the reversal of an already paid line stays
approved), and no order events, brand settlements or social profiles are written.
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bulk_load import (  # noqa: E402
    PASSWORD_HASH,
    CopyLoader,
    hex_id,
    migrate_empty_database,
    psycopg_url,
    vacuum_analyze,
    without_secondary_indexes,
)
from read_paths import log  # noqa: E402

from marketplace.attribution.rules import MODELS, PPM, Touchpoint, allocate, model_shares  # noqa: E402
from marketplace.attribution.services import once_per_hour  # noqa: E402
from marketplace.commissions.services import refund_reversal, split_line  # noqa: E402
from marketplace.discounts.services import discount_for  # noqa: E402
from marketplace.links.models import CHANNELS  # noqa: E402

SIZES = {"brands": 50, "influencers": 2_000, "shoppers": 200_000, "clicks": 10_000_000, "orders": 1_000_000}
MIN_SIZES = {"brands": 5, "influencers": 20, "shoppers": 100, "clicks": 1_000, "orders": 200}
MODEL = "last_click"  # the app's default: what the stored credits and commissions follow
HALF_LIFE = timedelta(days=7)  # the app's default TIME_DECAY_HALF_LIFE_DAYS
HOUR = 3_600_000_000  # microseconds: times are integer microseconds after the start of the year
DAY = 24 * HOUR
WINDOWS = ((7, 14, 30, 60, 90), (1, 2, 4, 2, 1))  # attribution window days, weights
HOLD_DAYS = 30
BOT_SHARE, REPEAT_SHARE = 0.05, 0.08  # of all clicks
CLICKING_SHOPPERS = 0.75  # shoppers who arrive through share links; the others never click
ORDERS_AFTER_A_CLICK = 0.9  # of a clicking shopper's orders: a click within the window comes first
SHOPPER_CLICK_SHARE = 0.55  # of the human clicks (repeats aside): the shoppers'; the rest are anonymous
CODE_ORDERS, REFUNDED_ORDERS = 0.08, 0.06
SHOPPER_ACCOUNTS = 0.15
SHOPPER_CONSENT = 0.3  # of the shopper accounts: may be named to the influencers who brought them
MAX_ORDERS_PER_SHOPPER = 100
PAYOUT_ACCOUNTS = 0.85  # influencers who connected a payout account
PRICES = (900, 1500, 1900, 2500, 3500, 4900, 6900, 8900, 12900, 19900)
WEEKDAY_WEIGHTS = (1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25)  # Monday first
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 10, 10, 8, 4)
# (device, browser, share): the families the redirect's classify() reports
PROFILES = (("mobile", "Mobile Safari", 25), ("mobile", "Chrome Mobile", 18), ("mobile", "Instagram", 9),
            ("mobile", "Samsung Internet", 5), ("mobile", "TikTok", 3), ("desktop", "Chrome", 20),
            ("desktop", "Safari", 7), ("desktop", "Firefox", 4), ("desktop", "Edge", 4), ("tablet", "Mobile Safari", 5))
BOT_BROWSERS = ("Googlebot", "bingbot", "facebookexternalhit", "AhrefsBot", "Other")
REFERRERS = {"instagram": "l.instagram.com", "tiktok": "www.tiktok.com", "youtube": "www.youtube.com",
             "facebook": "l.facebook.com", "twitter": "t.co", "pinterest": "www.pinterest.com",
             "blog": "blog.example.net", "email": "mail.google.com"}
COLLECTION_NAMES = ("Holiday gift guide", "Everyday favourites", "Under $50", "Kitchen", "Travel", "New in",
                    "Self care", "Home office")
CAMPAIGNS = ("spring", "summer-sale", "back-to-school", "bfcm", "holiday", "launch")
REFUND_REASONS = ("damaged", "wrong size", "changed my mind", "late delivery")
BIG_TABLES = ("clicks", "orders", "order_lines", "attribution_credits", "attribution_touchpoints", "attribution_shares",
              "commission_lines")


class Product(NamedTuple):
    id: int
    brand_id: int
    price: int
    currency: str
    commission_bps: int
    commission_source: str  # "product" or "brand_default", as orders.services records it


class Code(NamedTuple):
    id: int
    brand_id: int
    influencer_id: int
    percent_off_bps: int


class Line(NamedTuple):
    id: int
    item_id: int
    product: Product
    quantity: int
    discount: int
    total: int


class PlannedOrder(NamedTuple):
    created: int  # microseconds after the start
    shopper: int
    influencer: int  # whose storefront (same id)
    code: Code | None
    items: tuple[tuple[int, Product, int], ...]  # (storefront item id, product, quantity)


class ReportsData:
    def __init__(self, loader: CopyLoader, *, sizes: dict[str, int], days: int, end: datetime, seed: int):
        self.loader = loader
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.end = end
        self.start = end - timedelta(days=days)
        self.span = days * DAY
        self.day_weights = self._seasonality(days)
        self.day_cumulative = list(accumulate(self.day_weights))
        self.hour_cumulative = list(accumulate(HOUR_WEIGHTS))
        self.profiles = [(device, browser) for device, browser, share in PROFILES for _ in range(share)]

    # ------------------------------------------------------------------ time

    def _seasonality(self, days: int) -> list[float]:
        """A weight per day: a weekly cycle, November up by half, Black Friday week more than double."""
        weights = []
        for d in range(days):
            day = (self.start + timedelta(days=d)).date()
            weight = WEEKDAY_WEIGHTS[day.weekday()]
            if day.month == 11:
                weight *= 1.5
            weight *= 1 + 1.5 * math.exp(-(((day - black_friday(day.year)).days / 4) ** 2))
            weights.append(weight)
        return weights

    def random_time(self) -> int:
        """A moment of the year, following the seasonality and the hours of the day."""
        rng = self.rng
        day = bisect.bisect(self.day_cumulative, rng.random() * self.day_cumulative[-1])
        hour = bisect.bisect(self.hour_cumulative, rng.random() * self.hour_cumulative[-1])
        return min(day * DAY + hour * HOUR + rng.randrange(HOUR), self.span - 1)

    def at(self, micros: int) -> datetime:
        return self.start + timedelta(microseconds=micros)

    def per_day(self, total: int) -> list[int]:
        """``total`` spread over the days by their weights, summing exactly (largest remainder)."""
        weight_sum = self.day_cumulative[-1]
        exact = [total * w / weight_sum for w in self.day_weights]
        counts = [int(x) for x in exact]
        for d in sorted(range(len(exact)), key=lambda d: counts[d] - exact[d])[: total - sum(counts)]:
            counts[d] += 1
        return counts

    # ------------------------------------------------------------------ catalog and people

    def brands_and_products(self) -> None:
        rng, t0 = self.rng, self.start - timedelta(days=90)
        n = self.sizes["brands"]
        self.brand_ids = list(range(1, n + 1))
        eur = set(rng.sample(self.brand_ids, max(1, n // 25)))
        self.brand_currency = {b: "EUR" if b in eur else "USD" for b in self.brand_ids}
        self.window = {b: rng.choices(*WINDOWS)[0] for b in self.brand_ids}
        default_bps = {b: rng.randrange(500, 2001, 50) for b in self.brand_ids}
        self.brand_owner = {b: b for b in self.brand_ids}  # user ids 1..brands
        self.loader.copy("users", ("id", "email", "password_hash", "role", "is_active", "created_at", "updated_at"),
                         ((b, f"brand{b}@brands.example", PASSWORD_HASH, "brand", True, t0, t0) for b in self.brand_ids))
        self.loader.copy(
            "brands",
            ("id", "name", "slug", "default_commission_bps", "attribution_window_days", "hold_days", "created_at", "updated_at"),
            ((b, f"Brand {b}", f"brand-{b}", default_bps[b], self.window[b], HOLD_DAYS, t0, t0) for b in self.brand_ids),
        )
        self.loader.copy("brand_members", ("brand_id", "user_id", "role", "created_at"),
                         ((b, self.brand_owner[b], "owner", t0) for b in self.brand_ids))
        self.products: list[Product] = []
        rows = []
        for b in self.brand_ids:
            for k in range(rng.randint(30, 50)):
                own_bps = rng.randrange(500, 3001, 100) if rng.random() < 0.15 else None
                product = Product(len(self.products) + 1, b, rng.choice(PRICES), self.brand_currency[b],
                                  own_bps or default_bps[b], "product" if own_bps else "brand_default")
                self.products.append(product)
                rows.append((product.id, b, f"Product {product.id}", "", "[]", product.price, product.currency,
                             f"SKU-{b}-{k}", 1_000_000, 0, True, own_bps, t0, t0))
        self.loader.copy(
            "products",
            ("id", "brand_id", "title", "description", "image_urls", "price", "currency", "sku", "stock", "reserved",
             "active", "commission_bps", "created_at", "updated_at"),
            rows,
        )

    def influencers_and_storefronts(self) -> None:
        rng, t0 = self.rng, self.start - timedelta(days=60)
        n = self.sizes["influencers"]
        self.influencer_ids = list(range(1, n + 1))
        ranks = list(range(1, n + 1))
        rng.shuffle(ranks)
        self.influencer_rank = dict(zip(self.influencer_ids, ranks))
        self.influencer_cumulative = list(accumulate(1 / self.influencer_rank[i] for i in self.influencer_ids))
        first_user = len(self.brand_ids) + 1
        self.influencer_user = {i: first_user + i - 1 for i in self.influencer_ids}
        self.influencer_email = {i: f"creator{i}@creators.example" for i in self.influencer_ids}
        self.loader.copy("users", ("id", "email", "password_hash", "role", "is_active", "created_at", "updated_at"),
                         ((self.influencer_user[i], self.influencer_email[i], PASSWORD_HASH, "influencer", True, t0, t0)
                          for i in self.influencer_ids))
        self.loader.copy("influencer_profiles", ("id", "user_id", "handle", "display_name", "bio", "created_at", "updated_at"),
                         ((i, self.influencer_user[i], f"creator{i}", f"Creator {i}", "", t0, t0) for i in self.influencer_ids))
        self.loader.copy("storefronts",  # one per influencer, same id
                         ("id", "influencer_id", "slug", "title", "description", "published", "created_at", "updated_at"),
                         ((i, i, f"shop-{i}", f"Shop {i}", "", True, t0, t0) for i in self.influencer_ids))
        brand_cumulative = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(self.brand_ids))))
        products_of = {b: [p for p in self.products if p.brand_id == b] for b in self.brand_ids}
        self.collections: dict[int, list[int]] = {}
        self.items: dict[int, list[tuple[int, Product]]] = {}  # storefront -> [(item id, product)]
        self.item_collection: dict[int, int] = {}
        collections, items = [], []
        for s in self.influencer_ids:
            for position, name in enumerate(rng.sample(COLLECTION_NAMES, rng.randint(2, 4))):
                collection_id = len(collections) + 1
                self.collections.setdefault(s, []).append(collection_id)
                collections.append((collection_id, s, name, "", position, t0, t0))
            chosen: set[int] = set()
            for _ in range(rng.randint(15, 25)):
                brand = self.brand_ids[bisect.bisect(brand_cumulative, rng.random() * brand_cumulative[-1])]
                product = rng.choice(products_of[brand])
                if product.id in chosen:
                    continue
                chosen.add(product.id)
                item_id = len(items) + 1
                collection_id = rng.choice(self.collections[s]) if rng.random() < 0.5 else None
                if collection_id:
                    self.item_collection[item_id] = collection_id
                position = len(self.items.setdefault(s, []))
                self.items[s].append((item_id, product))
                items.append((item_id, s, product.id, collection_id, "", position, t0, t0))
        self.loader.copy("collections", ("id", "storefront_id", "name", "description", "position", "created_at", "updated_at"),
                         collections)
        self.loader.copy("storefront_items",
                         ("id", "storefront_id", "product_id", "collection_id", "note", "position", "created_at", "updated_at"),
                         items)

    def share_links(self) -> None:
        """Each influencer's storefront link and a few collection and item links (more for the
        popular), then re-shares of them by visitors, up to depth 3."""
        rng = self.rng
        rows, self.link_influencer = [], {}
        traffic: dict[int, list[tuple[int, float]]] = {}  # influencer -> [(link, weight)]

        def add(influencer, collection_id, item_id, created_by_visitor, parent, depth, channel, campaign, created, weight):
            link_id = len(rows) + 1
            rows.append((link_id, f"L{link_id:07d}", influencer, collection_id, item_id, influencer, created_by_visitor,
                         parent, depth, channel, campaign, True, created))
            self.link_influencer[link_id] = influencer
            traffic.setdefault(influencer, []).append((link_id, weight))
            return link_id

        for i in self.influencer_ids:
            created = self.start - timedelta(days=rng.uniform(1, 45))
            add(i, None, None, None, None, 0, rng.choice(CHANNELS), None, created, 3.0)
            for _ in range(rng.randint(1, 3) + (3 if self.influencer_rank[i] <= len(self.influencer_ids) // 40 else 0)):
                campaign = rng.choice(CAMPAIGNS) if rng.random() < 0.3 else None
                if rng.random() < 0.4:
                    add(i, rng.choice(self.collections[i]), None, None, None, 0, rng.choice(CHANNELS), campaign, created, 1.5)
                else:
                    item_id, _ = rng.choice(self.items[i])
                    add(i, self.item_collection.get(item_id), item_id, None, None, 0, rng.choice(CHANNELS), campaign,
                        created, 1.0)
        own = list(self.link_influencer)
        own_cumulative = list(accumulate(1 / self.influencer_rank[self.link_influencer[link]] ** 0.5 for link in own))
        depth: dict[int, int] = {}
        for n in range(len(self.influencer_ids)):  # re-shares: one per influencer on average
            reshares = [link for link, d in depth.items() if d < 3]
            if reshares and rng.random() < 0.3:
                parent = rng.choice(reshares)
            else:
                parent = own[bisect.bisect(own_cumulative, rng.random() * own_cumulative[-1])]
            _, _, influencer, collection_id, item_id, *_ , created = rows[parent - 1]
            link_id = add(influencer, collection_id, item_id, hex_id("resharer", n), parent, depth.get(parent, 0) + 1,
                          rng.choice(("sms", "email", "facebook", "other")), None, created, 0.5)
            depth[link_id] = depth.get(parent, 0) + 1
        self.loader.copy(
            "share_links",
            ("id", "code", "storefront_id", "collection_id", "storefront_item_id", "influencer_id", "created_by_visitor",
             "parent_id", "depth", "channel", "campaign", "active", "created_at"),
            rows,
        )
        self.referrer = {row[0]: REFERRERS.get(row[9]) for row in rows}
        self.links_of = {i: ([link for link, _ in found], list(accumulate(w for _, w in found))) for i, found in traffic.items()}
        self.link_cumulative = list(accumulate(
            w / self.influencer_rank[i] / sum(v for _, v in traffic[i]) for i in self.influencer_ids for _, w in traffic[i]
        ))
        self.link_ids = [link for i in self.influencer_ids for link, _ in traffic[i]]

    def plan_discount_codes(self) -> None:
        """Approved codes for some influencer x brand pairs (brands of their storefront); written
        after the orders are planned, with their use counts."""
        rng = self.rng
        self.codes: list[Code] = []
        for i in self.influencer_ids:
            if rng.random() < 0.3:
                brands = sorted({p.brand_id for _, p in self.items[i]})
                for b in rng.sample(brands, min(len(brands), rng.randint(1, 3))):
                    self.codes.append(Code(len(self.codes) + 1, b, i, rng.choice((1000, 1500, 2000))))
        self.codes_of_influencer: dict[int, list[Code]] = {}
        self.codes_of_brand: dict[int, list[Code]] = {}
        for code in self.codes:
            self.codes_of_influencer.setdefault(code.influencer_id, []).append(code)
            self.codes_of_brand.setdefault(code.brand_id, []).append(code)

    def write_discount_codes(self) -> None:
        used = Counter(order.code.id for order in self.orders if order.code)
        t0 = self.start - timedelta(days=30)
        self.loader.copy(
            "discount_codes",
            ("id", "code", "brand_id", "influencer_id", "percent_off_bps", "status", "times_used", "created_at", "updated_at"),
            ((c.id, f"CREATOR{c.influencer_id}B{c.brand_id}", c.brand_id, c.influencer_id, c.percent_off_bps, "approved",
              used[c.id], t0, t0) for c in self.codes),
        )

    # ------------------------------------------------------------------ shoppers: orders and their clicks

    def popular_influencer(self) -> int:
        return self.influencer_ids[bisect.bisect(self.influencer_cumulative, self.rng.random() * self.influencer_cumulative[-1])]

    def link_of(self, influencer: int) -> int:
        links, cumulative = self.links_of[influencer]
        return links[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def orders_per_shopper(self) -> list[int]:
        """Zipf-like, from 1 to ``MAX_ORDERS_PER_SHOPPER`` (P(n) proportional to n^-s, s fitted to the
        mean ``orders / shoppers``: at 5, half the shoppers buy once and 1 % 50 times or more),
        summing to the orders wanted."""
        rng, shoppers, orders = self.rng, self.sizes["shoppers"], self.sizes["orders"]
        counts = range(1, MAX_ORDERS_PER_SHOPPER + 1)
        exponent = zipf_exponent(orders / shoppers, MAX_ORDERS_PER_SHOPPER)
        sizes = rng.choices(counts, [n ** -exponent for n in counts], k=shoppers)
        left = orders - sum(sizes)
        repeat_buyers = [k for k, n in enumerate(sizes) if n > 1] or list(range(shoppers))
        while left:  # the sample's difference: one order more or less for random repeat buyers
            k = rng.choice(repeat_buyers)
            step = 1 if left > 0 else -1
            if 1 <= sizes[k] + step <= MAX_ORDERS_PER_SHOPPER:
                sizes[k] += step
                left -= step
        return sizes

    def plan_shoppers(self) -> None:
        """Each shopper's orders and clicks: the clicks that led to an order, browsing clicks (to
        make up the shoppers' share of the clicks), and repeats within the hour. A quarter of the
        shoppers never click: their orders have no visitor id."""
        rng = self.rng
        n = self.sizes["shoppers"]
        self.visitor = [hex_id("shopper", k) for k in range(n)]
        first_user = len(self.brand_ids) + len(self.influencer_ids) + 1
        account = [k for k in range(n) if rng.random() < SHOPPER_ACCOUNTS]
        self.shopper_user = {k: first_user + index for index, k in enumerate(account)}
        self.shopper_email = [f"shopper{k}@shoppers.example" for k in range(n)]
        influencer_buying = {}  # shopper -> the influencer it is: buying in their own storefront is a self-referral
        for k in rng.sample(range(n), max(1, n // 1000)):
            influencer_buying[k] = self.popular_influencer()
            self.shopper_email[k] = self.influencer_email[influencer_buying[k]]
            self.shopper_user[k] = self.influencer_user[influencer_buying[k]]
        self.orders: list[PlannedOrder] = []
        self.shopper_clicks: list[list[tuple[int, int]]] = []  # per shopper, (time, link) in time order
        favourites, clicking_orders = [], {}
        for k, count in enumerate(self.orders_per_shopper()):
            favourite = influencer_buying.get(k) or self.popular_influencer()
            favourites.append(favourite)
            clicking = rng.random() < CLICKING_SHOPPERS
            favourite_brand = None
            clicks: list[tuple[int, int]] = []
            for _ in range(count):
                created = min(self.random_time(), self.span - 2 * HOUR)
                influencer = favourite if rng.random() < 0.5 else self.popular_influencer()
                items = self.pick_items(influencer, favourite_brand)
                favourite_brand = favourite_brand or items[0][1].brand_id
                code = self.pick_code(influencer, items) if rng.random() < CODE_ORDERS else None
                if clicking and rng.random() < ORDERS_AFTER_A_CLICK:
                    clicks += self.clicks_before(created, influencer, min(self.window[p.brand_id] for _, p, _ in items))
                self.orders.append(PlannedOrder(created, k, influencer, code, items))
            if clicking:
                clicking_orders[k] = count
            self.shopper_clicks.append(clicks)
        self.orders.sort(key=lambda order: order.created)
        human_clicks = self.sizes["clicks"] * (1 - BOT_SHARE - REPEAT_SHARE)
        browsing = max(SHOPPER_CLICK_SHARE * human_clicks - sum(map(len, self.shopper_clicks)), 0)
        # Browsing grows with the square root of a shopper's orders: a shopper who buys often
        # clicks more, but not as many times more (or every order would have dozens of touchpoints).
        per_weight = browsing / max(sum(math.sqrt(count) for count in clicking_orders.values()), 1)
        repeat_chance = REPEAT_SHARE / (1 - BOT_SHARE - REPEAT_SHARE)
        for k, clicks in enumerate(self.shopper_clicks):
            for _ in range(int(math.sqrt(clicking_orders.get(k, 0)) * per_weight + rng.random())):
                influencer = favourites[k] if rng.random() < 0.5 else self.popular_influencer()
                clicks.append((self.random_time(), self.link_of(influencer)))
            clicks += [(min(t + rng.randrange(30_000_000, HOUR), self.span - 1), link)
                       for t, link in clicks if rng.random() < repeat_chance]
            clicks.sort()

    def pick_items(self, influencer: int, favourite_brand: int | None) -> tuple[tuple[int, Product, int], ...]:
        """1 to 3 items of one storefront in one currency, the first often of the shopper's favourite brand."""
        rng = self.rng
        storefront = self.items[influencer]
        first = None
        if favourite_brand and rng.random() < 0.6:
            own = [entry for entry in storefront if entry[1].brand_id == favourite_brand]
            first = rng.choice(own) if own else None
        first = first or rng.choice(storefront)
        same_currency = [entry for entry in storefront if entry[1].currency == first[1].currency and entry != first]
        more = rng.sample(same_currency, min(len(same_currency), rng.choices((0, 1, 2), (60, 28, 12))[0]))
        return tuple((item_id, product, rng.choices((1, 2, 3), (80, 15, 5))[0]) for item_id, product in [first, *more])

    def pick_code(self, influencer: int, items) -> Code | None:
        """Mostly the storefront influencer's own code for a brand of the order, else anyone's."""
        brands = {p.brand_id for _, p, _ in items}
        own = [c for c in self.codes_of_influencer.get(influencer, ()) if c.brand_id in brands]
        if own and self.rng.random() < 0.7:
            return self.rng.choice(own)
        anyone = [c for b in sorted(brands) for c in self.codes_of_brand.get(b, ())]
        return self.rng.choice(anyone) if anyone else None

    def clicks_before(self, created: int, influencer: int, window_days: int) -> list[tuple[int, int]]:
        """The click that led to an order (within the window), sometimes after earlier ones on
        this or another influencer's links."""
        rng = self.rng
        gap = min(int(rng.expovariate(1 / 1.5) * DAY), int(window_days * 0.9 * DAY)) + rng.randrange(60_000_000, HOUR)
        t = created - gap
        if t < 0:
            return []
        clicks = [(t, self.link_of(influencer))]
        if rng.random() < 0.45:
            for _ in range(rng.randint(1, 3)):
                t -= int(rng.expovariate(1 / 2) * DAY) + HOUR
                if t < 0:
                    break
                other = influencer if rng.random() < 0.5 else self.popular_influencer()
                clicks.append((t, self.link_of(other)))
        return clicks

    # ------------------------------------------------------------------ clicks

    def click_rows(self):
        """Every click of the year in time order: the shoppers', anonymous visitors' and bots'."""
        rng = self.rng
        shopper_clicks = sorted((t, link, k) for k, clicks in enumerate(self.shopper_clicks) for t, link in clicks)
        bots = round(self.sizes["clicks"] * BOT_SHARE)
        anonymous = max(self.sizes["clicks"] - bots - len(shopper_clicks), 0)
        anonymous_visitors = max(anonymous // 3, 1)
        bot_visitors = max(self.sizes["clicks"] // 5000, 1)
        repeat_chance = REPEAT_SHARE / (1 - BOT_SHARE - REPEAT_SHARE)
        shopper_counted: dict[tuple[int, int], int] = {}
        anonymous_counted: dict[tuple[int, int], int] = {}
        next_shopper_click = 0
        start_micros = int(self.start.timestamp()) * 1_000_000
        for day, (anonymous_today, bots_today) in enumerate(zip(self.per_day(anonymous), self.per_day(bots))):
            day_end = (day + 1) * DAY
            today = []  # (time, link, visitor kind, visitor number)
            while anonymous_today > 0:
                t = day * DAY + rng.randrange(DAY)
                link = self.link_ids[bisect.bisect(self.link_cumulative, rng.random() * self.link_cumulative[-1])]
                visitor = int(anonymous_visitors * rng.random() ** 2)  # some visitors come back often
                today.append((t, link, "a", visitor))
                anonymous_today -= 1
                repeat = t + rng.randrange(30_000_000, HOUR)
                if anonymous_today > 0 and repeat < day_end and rng.random() < repeat_chance:
                    today.append((repeat, link, "a", visitor))
                    anonymous_today -= 1
            for _ in range(bots_today):
                link = self.link_ids[rng.randrange(len(self.link_ids))]
                today.append((day * DAY + rng.randrange(DAY), link, "b", rng.randrange(bot_visitors)))
            while next_shopper_click < len(shopper_clicks) and shopper_clicks[next_shopper_click][0] < day_end:
                t, link, k = shopper_clicks[next_shopper_click]
                today.append((t, link, "s", k))
                next_shopper_click += 1
            today.sort()
            for t, link, kind, number in today:
                if kind == "b":
                    visitor, ip_hash = hex_id("bot", number), hex_id("bot-ip", number)
                    device, browser, is_bot, counted = "bot", BOT_BROWSERS[number % len(BOT_BROWSERS)], True, False
                else:
                    visitor = self.visitor[number] if kind == "s" else hex_id("anonymous", number)
                    ip_hash = hex_id("ip", visitor)
                    device, browser = self.profiles[int(visitor[:6], 16) % len(self.profiles)]
                    last = shopper_counted if kind == "s" else anonymous_counted
                    is_bot, counted = False, t - last.get((number, link), -HOUR) >= HOUR
                    if counted:
                        last[(number, link)] = t
                referrer = self.referrer[link] if rng.random() < 0.75 else None
                yield (f"{start_micros + t:014x}{rng.getrandbits(72):018x}", link, visitor, self.at(t), referrer,
                       device, browser, ip_hash, is_bot, counted)
            for last in (shopper_counted, anonymous_counted):  # forget what no later click can repeat
                for key in [key for key, t in last.items() if t < day_end - HOUR]:
                    del last[key]

    def write_clicks(self) -> None:
        self.loader.copy(
            "clicks",
            ("uid", "link_id", "visitor_id", "occurred_at", "referrer_host", "device", "browser", "ip_hash", "is_bot", "counted"),
            self.click_rows(),
        )

    # ------------------------------------------------------------------ orders and what the jobs stored for them

    def write_orders(self) -> None:
        """The planned orders in time order (their ids follow it), with their lines and refunds,
        attribution and commissions, written a chunk of orders at a time."""
        self.next_id = Counter()
        self.payout_runs = first_days_of_months(self.start, self.end)
        self.payout_account = {i for i in self.influencer_ids if self.rng.random() < PAYOUT_ACCOUNTS}
        self.payouts: Counter = Counter()  # payout id -> amount
        out = Buffers(self.loader, ORDER_TABLES)
        for order_id, order in enumerate(self.orders, 1):
            self.store_order(order_id, order, out)
            if order_id % 20_000 == 0:
                out.flush()
        out.flush()
        self.write_payouts()

    def new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table]

    def store_order(self, order_id: int, order: PlannedOrder, out: Buffers) -> None:
        rng = self.rng
        created = self.at(order.created)
        paid = created + timedelta(seconds=rng.randint(5, 600))
        k = order.shopper
        visitor = self.visitor[k] if self.shopper_clicks[k] else None
        lines = []
        for item_id, product, quantity in order.items:
            subtotal = product.price * quantity
            discount = discount_for(subtotal, order.code) if order.code and order.code.brand_id == product.brand_id else 0
            lines.append(Line(self.new_id("order_lines"), item_id, product, quantity, discount, subtotal - discount))
        refund_at, refunded = self.plan_refund(paid, lines)
        total, refunded_total = sum(line.total for line in lines), sum(amount for _, amount in refunded.values())
        status = "paid" if not refunded else "refunded" if refunded_total == total else "partially_refunded"
        currency = lines[0].product.currency
        out.add("orders", (order_id, order.influencer, order.influencer, self.shopper_user.get(k), self.shopper_email[k],
                           visitor, f"{rng.getrandbits(256):064x}", status, currency, total,
                           order.code.id if order.code else None, sum(line.discount for line in lines), refunded_total,
                           created + timedelta(minutes=30), f"pi_gen_{order_id}", paid, False, created,
                           refund_at or paid))
        for line in lines:
            quantity, amount = refunded.get(line.id, (0, 0))
            out.add("order_lines", (line.id, order_id, line.product.id, line.product.brand_id, line.item_id,
                                    order.influencer, order.influencer, f"Product {line.product.id}",
                                    f"SKU-{line.product.id}", line.product.price, line.product.currency, line.quantity,
                                    line.discount, line.total, line.product.commission_bps,
                                    line.product.commission_source, quantity, amount))
        if refunded:
            refund_id = self.new_id("refunds")
            brand = next(line.product.brand_id for line in lines if line.id in refunded)
            out.add("refunds", (refund_id, order_id, self.brand_owner[brand], rng.choice(REFUND_REASONS), refunded_total,
                                currency, "succeeded", f"re_gen_{refund_id}", refund_at, refund_at + timedelta(seconds=2)))
            for line_id, (quantity, amount) in refunded.items():
                out.add("refund_lines", (refund_id, line_id, quantity, amount))
        attributed = paid + timedelta(seconds=rng.randint(1, 30))
        credited = self.attribute(order_id, order, created, paid, attributed, lines, refund_at, refunded, out)
        out.add("order_attributions", (order_id, MODEL, attributed,
                                       f"{credited} of {len(lines)} lines credited under {MODEL}"))

    def plan_refund(self, paid: datetime, lines: list[Line]) -> tuple[datetime | None, dict[int, tuple[int, int]]]:
        """When the order was refunded (if it was, before the end), and ``{line id: (quantity, amount)}``:
        half the refunds are whole, the others one line, one unit, or an amount."""
        rng = self.rng
        if rng.random() >= REFUNDED_ORDERS:
            return None, {}
        refund_at = paid + timedelta(days=rng.expovariate(1 / 10), hours=1)
        if refund_at >= self.end:
            return None, {}
        if rng.random() < 0.5:
            return refund_at, {line.id: (line.quantity, line.total) for line in lines}
        line = rng.choice(lines)
        if len(lines) > 1 and rng.random() < 0.5:
            return refund_at, {line.id: (line.quantity, line.total)}
        if line.quantity > 1:  # one unit, with its share of the net line total (orders.refunds)
            return refund_at, {line.id: (1, line.total // line.quantity)}
        return refund_at, {line.id: (0, max(1, int(line.total * rng.uniform(0.2, 0.6))))}

    def attribute(self, order_id, order, created, paid, attributed, lines, refund_at, refunded, out: Buffers) -> int:
        """Credits (under ``last_click``), touchpoints, every model's shares and the commission
        lines of each order line, as the attribution job would store them; returns the number of
        credited lines."""
        k = order.shopper
        clicks = self.shopper_clicks[k]
        longest = max(self.window[line.product.brand_id] for line in lines) * DAY
        since, until = bisect.bisect_left(clicks, (order.created - longest,)), bisect.bisect_right(clicks, (order.created, math.inf))
        found = clicks[since:until]
        touchpoints = once_per_hour([Touchpoint(self.link_influencer[link], self.at(t), link) for t, link in found])
        split_by_window: dict[int, tuple] = {}
        credited = 0
        for line in lines:
            brand = line.product.brand_id
            window = self.window[brand]
            if order.code and order.code.brand_id == brand:
                credits = [(order.code.influencer_id, PPM, "discount_code", order.code.id, [])]
                shares = {(order.code.influencer_id, None): [PPM] * len(MODELS)}
            else:
                if window not in split_by_window:
                    split_by_window[window] = self.split(touchpoints, created, timedelta(days=window))
                credits, shares = split_by_window[window]
            if not credits:
                continue
            credited += 1
            amounts = split_line(line.total, {who: (ppm, line.product.commission_bps) for who, ppm, *_ in credits})
            for who, ppm, rule, code_id, used in credits:
                credit_id = self.new_id("attribution_credits")
                self_referral = self.shopper_email[k] == self.influencer_email[who] or \
                    self.shopper_user.get(k) == self.influencer_user[who]
                out.add("attribution_credits", (credit_id, order_id, line.id, who, ppm, rule, MODEL, window, code_id,
                                                self_referral, attributed))
                for link, at, weight in used:
                    out.add("attribution_touchpoints", (credit_id, link, at, weight))
                self.store_commission(order_id, line, who, ppm, amounts[who], self_referral, paid, attributed, refund_at,
                                      refunded.get(line.id, (0, 0))[1], out)
            for (who, link), ppm in shares.items():
                out.add("attribution_shares", (order_id, line.id, who, link, *ppm))
        return credited

    @staticmethod
    def split(touchpoints: list[Touchpoint], created: datetime, window: timedelta):
        """For one window: the credits under ``last_click`` as ``(influencer, ppm, rule, None,
        [(link, clicked at, weight)])`` (every click of a credited influencer, as the job keeps
        them), and ``{(influencer, link): [ppm under each model]}``."""
        in_window = [t for t in touchpoints if t.at >= created - window]
        earned = {id(t): ppm for t, ppm in allocate(MODEL, in_window, created, HALF_LIFE)}
        by_influencer: dict[int, list] = {}
        for t in in_window:
            by_influencer.setdefault(t.influencer_id, []).append((t.link_id, t.at, earned.get(id(t), 0)))
        credits = [(who, sum(weight for *_, weight in used), MODEL, None, used)
                   for who, used in sorted(by_influencer.items()) if any(weight for *_, weight in used)]
        shares = {key: [by_model[model] for model in MODELS]
                  for key, by_model in sorted(model_shares(in_window, created, HALF_LIFE).items())}
        return credits, shares

    def store_commission(self, order_id, line, influencer, ppm, amount, self_referral, paid, attributed, refund_at,
                         refunded_amount, out: Buffers) -> None:
        """The sale line of one credit, and its reversal if the order line was refunded. Its state at
        the end: held (self-referral), paid by the monthly payout run after its hold, approved, or
        pending."""
        currency = line.product.currency
        hold_until = paid + timedelta(days=HOLD_DAYS)
        reversal = refund_reversal(amount, refunded_amount, line.total)
        run = bisect.bisect_left(self.payout_runs, hold_until)
        run_date = self.payout_runs[run] if run < len(self.payout_runs) else None
        reversed_before_run = reversal if run_date and refund_at and refund_at < run_date else 0
        payout_id = None
        if self_referral:
            state = reversal_state = "held"
        elif run_date and influencer in self.payout_account and amount - reversed_before_run > 0:
            state = "paid"
            payout_id = self.payout_id(run, influencer, currency)
            self.payouts[payout_id] += amount - reversed_before_run
            reversal_state = "paid" if reversed_before_run else "approved"
        else:
            state = reversal_state = "approved" if hold_until <= self.end else "pending"
        sale_id = self.new_id("commission_lines")
        updated = run_date if state == "paid" else hold_until if state == "approved" else attributed
        reason = "self-referral: the buyer is the influencer" if self_referral else None
        out.add("commission_lines", (sale_id, "sale", state, reason, self_referral, influencer, line.product.brand_id,
                                     order_id, line.id, None, currency, amount, line.total, ppm,
                                     line.product.commission_bps, line.product.commission_source, hold_until, payout_id,
                                     attributed, updated))
        if reversal:
            paid_back_later = state == "paid" and not reversed_before_run  # owed back, netted in a later payout
            out.add("commission_lines", (self.new_id("commission_lines"), "refund", reversal_state,
                                         "a refund of the order line", self_referral, influencer, line.product.brand_id,
                                         order_id, line.id, sale_id, currency, -reversal, refunded_amount, ppm,
                                         line.product.commission_bps, line.product.commission_source,
                                         refund_at if paid_back_later else hold_until,
                                         payout_id if reversal_state == "paid" else None, refund_at,
                                         run_date if reversal_state == "paid" else refund_at))

    def payout_id(self, run: int, influencer: int, currency: str) -> int:
        """Known before the payout's total: one id per run, influencer and currency, in run order."""
        return (run * len(self.influencer_ids) + influencer - 1) * 2 + (currency == "EUR") + 1

    def write_payouts(self) -> None:
        t_paid = timedelta(minutes=5)
        self.loader.copy(
            "payout_accounts",
            ("id", "influencer_id", "stripe_account_id", "details_submitted", "payouts_enabled", "transfers_active",
             "created_at", "updated_at"),
            ((i, i, f"acct_gen{i:06d}", True, True, True, self.start, self.start) for i in sorted(self.payout_account)),
        )
        rows = []
        for payout_id, amount in sorted(self.payouts.items()):
            run, rest = divmod(payout_id - 1, len(self.influencer_ids) * 2)
            influencer, eur = rest // 2 + 1, rest % 2
            run_date = self.payout_runs[run]
            rows.append((payout_id, influencer, "EUR" if eur else "USD", amount, "paid", f"acct_gen{influencer:06d}",
                         f"tr_gen_{payout_id}", run_date + t_paid, run_date, run_date + t_paid))
        self.loader.copy("payouts", ("id", "influencer_id", "currency", "amount", "status", "destination", "transfer_id",
                                     "paid_at", "created_at", "updated_at"), rows)

    # ------------------------------------------------------------------ all of it

    def run(self) -> None:
        steps = [
            ("brands and products", self.brands_and_products),
            ("influencers and storefronts", self.influencers_and_storefronts),
            ("share links", self.share_links),
            ("discount codes, shoppers' orders and clicks planned", self.plan_codes_and_shoppers),
            ("discount codes and shopper accounts", self.write_codes_and_shopper_users),
            ("clicks", self.write_clicks),
            ("orders, attribution, commissions, payouts", self.write_orders),
        ]
        for name, step in steps:
            started = time.perf_counter()
            step()
            self.loader.conn.commit()
            log(f"  {name}: {time.perf_counter() - started:.1f} s")

    def plan_codes_and_shoppers(self) -> None:
        self.plan_discount_codes()
        self.plan_shoppers()

    def write_codes_and_shopper_users(self) -> None:
        self.write_discount_codes()
        t0 = self.start - timedelta(days=30)
        own = sorted((user, k) for k, user in self.shopper_user.items() if self.shopper_email[k].endswith("@shoppers.example"))
        self.loader.copy("users", ("id", "email", "password_hash", "role", "is_active", "share_with_influencers", "created_at",
                                   "updated_at"),
                         ((user, self.shopper_email[k], PASSWORD_HASH, "shopper", True, self.rng.random() < SHOPPER_CONSENT,
                           t0, t0) for user, k in own))


class Buffers:
    """Rows of several tables, each written with one ``COPY`` per flush, in the tables' order."""

    def __init__(self, loader: CopyLoader, columns: dict[str, tuple[str, ...]]):
        self.loader, self.columns = loader, columns
        self.rows: dict[str, list] = {table: [] for table in columns}

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        for table, rows in self.rows.items():
            self.loader.copy(table, self.columns[table], rows)
            rows.clear()


ORDER_TABLES = {
    "orders": ("id", "storefront_id", "influencer_id", "shopper_user_id", "email", "visitor_id", "access_token_hash",
               "status", "currency", "total", "discount_code_id", "discount_total", "refunded_total", "reserved_until",
               "payment_intent_id", "paid_at", "needs_refund", "created_at", "updated_at"),
    "order_lines": ("id", "order_id", "product_id", "brand_id", "storefront_item_id", "storefront_id", "influencer_id",
                    "title", "sku", "unit_price", "currency", "quantity", "discount_amount", "line_total",
                    "commission_bps", "commission_source", "refunded_quantity", "refunded_amount"),
    "refunds": ("id", "order_id", "requested_by_user_id", "reason", "amount", "currency", "status", "provider_refund_id",
                "created_at", "updated_at"),
    "refund_lines": ("refund_id", "order_line_id", "quantity", "amount"),
    "order_attributions": ("order_id", "model", "computed_at", "summary"),
    "attribution_credits": ("id", "order_id", "order_line_id", "influencer_id", "fraction_ppm", "rule", "model",
                            "window_days", "discount_code_id", "self_referral", "created_at"),
    "attribution_touchpoints": ("credit_id", "link_id", "clicked_at", "weight_ppm"),
    "attribution_shares": ("order_id", "order_line_id", "influencer_id", "link_id", *(f"{model}_ppm" for model in MODELS)),
    "commission_lines": ("id", "kind", "state", "state_reason", "self_referral", "influencer_id", "brand_id", "order_id",
                         "order_line_id", "reverses_id", "currency", "amount", "basis_amount", "fraction_ppm", "rate_bps",
                         "rate_source", "hold_until", "payout_id", "created_at", "updated_at"),
}
SEQUENCED_TABLES = ("users", "brands", "products", "influencer_profiles", "storefronts", "collections", "storefront_items",
                    "share_links", "discount_codes", "clicks", "orders", "order_lines", "refunds", "refund_lines",
                    "attribution_credits", "attribution_touchpoints", "attribution_shares", "commission_lines",
                    "payout_accounts", "payouts")


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21 + 1)


def zipf_exponent(mean: float, largest: int) -> float:
    """The s for which n in 1..largest with P(n) proportional to n^-s has this mean (bisection)."""
    low, high = -5.0, 10.0  # the mean falls as s rises
    for _ in range(60):
        s = (low + high) / 2
        weights = [n ** -s for n in range(1, largest + 1)]
        if sum(n * w for n, w in enumerate(weights, 1)) / sum(weights) > mean:
            low = s
        else:
            high = s
    return s


def first_days_of_months(start: datetime, end: datetime) -> list[datetime]:
    """Midnight UTC of each first of a month after ``start``, up to ``end``: the payout runs."""
    runs, month = [], datetime(start.year, start.month, 1, tzinfo=timezone.utc)
    while True:
        month = (month + timedelta(days=32)).replace(day=1)
        if month > end:
            return runs
        runs.append(month)


def generate(database_url: str, *, sizes: dict[str, int], days: int, end: datetime, seed: int) -> dict:
    """Fill an empty PostgreSQL database (``flask db upgrade`` first); returns the rows written per table."""
    import psycopg

    started = time.perf_counter()
    migrate_empty_database(database_url)
    with psycopg.connect(psycopg_url(database_url)) as conn:
        # No foreign-key triggers during the load (as pg_restore --disable-triggers): every row
        # refers to rows this generator writes, and the checks would cost more than the COPY.
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        loader = CopyLoader(conn)
        data = ReportsData(loader, sizes=sizes, days=days, end=end, seed=seed)
        with without_secondary_indexes(conn, BIG_TABLES):
            data.run()
        loader.fix_sequences(SEQUENCED_TABLES)
        conn.commit()
        vacuum_analyze(conn)
    return {"rows": loader.counts, "seconds": time.perf_counter() - started, "start": data.start, "end": data.end}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an EMPTY PostgreSQL database")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every size not given (0.01: a quick run)")
    for name, default in SIZES.items():
        parser.add_argument(f"--{name}", type=int, help=f"[{default:,} x scale]")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--end", type=datetime.fromisoformat, help="UTC; default: now, truncated to the hour")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    sizes = {name: getattr(args, name) or max(MIN_SIZES[name], round(default * args.scale)) for name, default in SIZES.items()}
    if not sizes["shoppers"] <= sizes["orders"] <= sizes["shoppers"] * MAX_ORDERS_PER_SHOPPER:
        raise SystemExit(f"every shopper buys 1 to {MAX_ORDERS_PER_SHOPPER} times: orders must be within that of shoppers")
    end = (args.end or datetime.now(timezone.utc)).replace(minute=0, second=0, microsecond=0, tzinfo=timezone.utc)
    log(f"generating into {args.database_url}: " + ", ".join(f"{n:,} {name}" for name, n in sizes.items())
        + f", {args.days} days to {end:%Y-%m-%d %H:%M} UTC, seed {args.seed}")
    result = generate(args.database_url, sizes=sizes, days=args.days, end=end, seed=args.seed)
    print(f"generated in {result['seconds']:.0f} s ({result['start']:%Y-%m-%d %H:%M} to {result['end']:%Y-%m-%d %H:%M} UTC)")
    for table, n in sorted(result["rows"].items()):
        print(f"  {table:<26} {n:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
