"""Generates the attribution benchmark's data straight into an empty PostgreSQL database.

    .venv/bin/python bench/attribution_data.py --database-url postgresql://postgres@127.0.0.1/attr_bench \
        [--visitors 100000] [--clicks 1000000] [--orders 20000] [--days 60] [--seed 1]

Runs ``flask db upgrade`` on the (empty) database, then writes with ``COPY``: brands (with
attribution windows of 7 to 90 days), influencers with their users and storefronts,
products and storefront items, share links (own links and re-shares up to depth 3),
approved discount codes, the visitors' clicks over the last ``--days`` days, and paid
orders with their lines. Then ``ANALYZE``. Deterministic for a given seed and end time.

What the clicks look like: ``--visitors`` human visitors, each following one to three
links with a few clicks each over a span of days (mean ``clicks / visitors``, long-tailed);
about 5 % of the clicks come from bot visitors (``is_bot``, never counted); about 8 % of the
human clicks repeat a click on the same link within the hour (not counted), as the
redirect's repeat rule would decide. What the orders look like: about 78 % are placed by
visitors who clicked, within days of one of their clicks; the rest are organic (no visitor
cookie, or a visitor who never clicked). An order has 1 to 3 lines from its storefront's
items (brands with different windows); about 10 % use an approved discount code of one of
their brands (code beats cookie for that brand's lines) and about 1 % are bought by the
influencer whose link was clicked (self-referral). Every order is ``paid``.

The attribution tables are left empty; ``bench/attribution.py`` fills them.
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk_load import PASSWORD_HASH, CopyLoader, hex_id, migrate_empty_database, psycopg_url, vacuum_analyze  # noqa: E402
from read_paths import log  # noqa: E402

BRANDS = 20
PRODUCTS_PER_BRAND = 25
INFLUENCERS = 1000
ITEMS_PER_STOREFRONT = 12
LINKS_PER_INFLUENCER = 3
RESHARES = 1000
BOT_VISITORS = 2000
WINDOWS = (7, 14, 30, 30, 30, 60, 90)  # days, one per brand in turn
CHANNELS = ("instagram", "tiktok", "youtube", "blog", "email", "sms", "twitter")


class Generator:
    def __init__(self, conn, *, visitors: int, clicks: int, orders: int, days: int, seed: int, end: datetime):
        self.conn = conn
        self.rng = random.Random(seed)
        self.visitors, self.clicks, self.orders, self.days = visitors, clicks, orders, days
        self.end = end
        self.start = end - timedelta(days=days)
        self.loader = CopyLoader(conn)
        self.copy = self.loader.copy

    # ------------------------------------------------------------------ catalog and people

    def people_and_catalog(self) -> None:
        rng, t0 = self.rng, self.start - timedelta(days=30)
        users = []
        self.brand_ids = list(range(1, BRANDS + 1))
        self.window = {b: WINDOWS[(b - 1) % len(WINDOWS)] for b in self.brand_ids}
        for b in self.brand_ids:
            users.append((b, f"brand{b}@bench.example", PASSWORD_HASH, "brand", True, t0, t0))
        self.influencer_ids = list(range(1, INFLUENCERS + 1))
        self.influencer_user = {i: BRANDS + i for i in self.influencer_ids}
        self.influencer_email = {i: f"creator{i}@bench.example" for i in self.influencer_ids}
        for i in self.influencer_ids:
            users.append((self.influencer_user[i], self.influencer_email[i], PASSWORD_HASH, "influencer", True, t0, t0))
        self.copy("users", ("id", "email", "password_hash", "role", "is_active", "created_at", "updated_at"), users)
        self.copy(
            "brands",
            ("id", "name", "slug", "default_commission_bps", "attribution_window_days", "hold_days", "created_at", "updated_at"),
            ((b, f"Brand {b}", f"brand-{b}", 1000, self.window[b], 30, t0, t0) for b in self.brand_ids),
        )
        self.copy("brand_members", ("brand_id", "user_id", "role", "created_at"), ((b, b, "owner", t0) for b in self.brand_ids))
        self.copy(
            "influencer_profiles",
            ("id", "user_id", "handle", "display_name", "bio", "created_at", "updated_at"),
            ((i, self.influencer_user[i], f"creator{i}", f"Creator {i}", "", t0, t0) for i in self.influencer_ids),
        )
        # One storefront per influencer, same id.
        self.copy(
            "storefronts",
            ("id", "influencer_id", "slug", "title", "description", "published", "created_at", "updated_at"),
            ((i, i, f"shop-{i}", f"Shop {i}", "", True, t0, t0) for i in self.influencer_ids),
        )
        self.products = {}  # id -> (brand, price)
        rows = []
        for b in self.brand_ids:
            for k in range(PRODUCTS_PER_BRAND):
                pid = len(self.products) + 1
                price = rng.choice((1500, 2500, 3900, 4900, 7900, 12900))
                self.products[pid] = (b, price)
                rows.append((pid, b, f"Product {pid}", "", "[]", price, "USD", f"SKU-{pid}", 1_000_000, 0, True, t0, t0))
        self.copy(
            "products",
            ("id", "brand_id", "title", "description", "image_urls", "price", "currency", "sku", "stock", "reserved",
             "active", "created_at", "updated_at"),
            rows,
        )
        self.items: dict[int, list[tuple[int, int]]] = {}  # storefront -> [(item id, product id)]
        rows = []
        product_ids = list(self.products)
        for s in self.influencer_ids:
            for position, pid in enumerate(rng.sample(product_ids, ITEMS_PER_STOREFRONT)):
                item_id = len(rows) + 1
                self.items.setdefault(s, []).append((item_id, pid))
                rows.append((item_id, s, pid, "", position, t0, t0))
        self.copy("storefront_items", ("id", "storefront_id", "product_id", "note", "position", "created_at", "updated_at"), rows)
        # Discount codes: every fifth influencer has an approved code for three brands.
        self.codes: dict[int, list[tuple[int, int]]] = {}  # influencer -> [(code id, brand)]
        rows = []
        for i in self.influencer_ids[::5]:
            for b in rng.sample(self.brand_ids, 3):
                code_id = len(rows) + 1
                self.codes.setdefault(i, []).append((code_id, b))
                rows.append((code_id, f"C{i}B{b}", b, i, 1000, "approved", 0, t0, t0))
        self.copy(
            "discount_codes",
            ("id", "code", "brand_id", "influencer_id", "percent_off_bps", "status", "times_used", "created_at", "updated_at"),
            rows,
        )
        self.code_brand = {code_id: b for codes in self.codes.values() for code_id, b in codes}

    def links(self) -> None:
        rng, t0 = self.rng, self.start - timedelta(days=20)
        self.link_influencer: dict[int, int] = {}
        rows = []
        for i in self.influencer_ids:
            for k in range(LINKS_PER_INFLUENCER):
                link_id = len(rows) + 1
                self.link_influencer[link_id] = i
                rows.append((link_id, f"L{link_id:07d}", i, i, None, None, 0, rng.choice(CHANNELS), f"c{k}", True, t0))
        own = list(self.link_influencer)
        depth = {link_id: 0 for link_id in own}
        for _ in range(RESHARES):  # a re-share of an own link or of another re-share: same influencer, one deeper
            parent = rng.choice(own if rng.random() < 0.7 or len(rows) == len(own) else list(depth)[len(own):])
            if depth[parent] >= 3:
                parent = rng.choice(own)
            link_id = len(rows) + 1
            influencer = self.link_influencer[parent]
            self.link_influencer[link_id] = influencer
            depth[link_id] = depth[parent] + 1
            rows.append((link_id, f"L{link_id:07d}", influencer, influencer, hex_id("v", link_id), parent, depth[link_id],
                         "sms", None, True, t0))
        self.copy(
            "share_links",
            ("id", "code", "storefront_id", "influencer_id", "created_by_visitor", "parent_id", "depth", "channel",
             "campaign", "active", "created_at"),
            rows,
        )
        self.link_ids = list(self.link_influencer)
        # Popular links get more traffic: a long tail of weights.
        self.link_weights = [1.0 / (1 + (n % 300)) ** 0.8 for n in range(len(self.link_ids))]
        rng.shuffle(self.link_weights)

    # ------------------------------------------------------------------ clicks

    def click_rows(self):
        """Yields click rows and records each human visitor's counted clicks (for the orders)."""
        rng = self.rng
        span = (self.end - self.start).total_seconds()
        human_clicks = int(self.clicks * 0.95)
        per_visitor = human_clicks / self.visitors
        # Long-tailed clicks per visitor: a geometric draw, scaled to the wanted total.
        raw = [1 + int(rng.expovariate(1 / max(per_visitor - 1, 0.01))) for _ in range(self.visitors)]
        scale = human_clicks / sum(raw)
        sizes = [max(1, round(n * scale)) for n in raw]
        left = human_clicks - sum(sizes)
        step = 1 if left > 0 else -1
        while left:  # spread the rounding difference over random visitors
            v = rng.randrange(self.visitors)
            if sizes[v] + step >= 1:
                sizes[v] += step
                left -= step
        self.visitor_ids = [hex_id("visitor", v) for v in range(self.visitors)]
        self.visitor_clicks: list[list[tuple[datetime, int]]] = [[] for _ in range(self.visitors)]  # counted (at, link)
        cumulative = list(self._cumulate(self.link_weights))
        uid = 0
        for v, size in enumerate(sizes):
            vid = self.visitor_ids[v]
            links = [self.link_ids[bisect.bisect(cumulative, rng.random() * cumulative[-1])] for _ in range(rng.randint(1, 3))]
            first = rng.random() * span
            spread = rng.expovariate(1 / (10 * 86400))
            times = sorted(min(span - 1, first + rng.random() * spread) for _ in range(size))
            mobile = rng.random() < 0.6
            last_counted: dict[int, float] = {}
            previous_link = None
            for t in times:
                if previous_link is not None and rng.random() < 0.08:  # back on the same link within the hour
                    link = previous_link
                    t = min(span - 1, (last_counted.get(link, t)) + rng.uniform(60, 3000))
                else:
                    link = rng.choice(links)
                counted = link not in last_counted or t - last_counted[link] >= 3600
                if counted:
                    last_counted[link] = t
                previous_link = link
                at = self.start + timedelta(seconds=t)
                if counted:
                    self.visitor_clicks[v].append((at, link))
                uid += 1
                yield (f"{uid:032x}", link, vid, at, "l.instagram.com" if link % 3 else None,
                       "mobile" if mobile else "desktop", "Chrome" if mobile else "Firefox", hex_id("ip", v)[:32], False, counted)
        for n in range(self.clicks - human_clicks):  # bots: never counted
            uid += 1
            b = n % BOT_VISITORS
            link = self.link_ids[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
            at = self.start + timedelta(seconds=rng.random() * span)
            yield (f"{uid:032x}", link, hex_id("bot", b), at, None, "bot", "Googlebot", hex_id("botip", b)[:32], True, False)

    @staticmethod
    def _cumulate(weights):
        total = 0.0
        for w in weights:
            total += w
            yield total

    def write_clicks(self) -> None:
        self.copy(
            "clicks",
            ("uid", "link_id", "visitor_id", "occurred_at", "referrer_host", "device", "browser", "ip_hash", "is_bot", "counted"),
            self.click_rows(),
        )

    # ------------------------------------------------------------------ orders

    def write_orders(self) -> None:
        rng = self.rng
        clicked = [v for v in range(self.visitors) if self.visitor_clicks[v]]
        weights = list(self._cumulate(len(self.visitor_clicks[v]) ** 0.5 for v in clicked))
        orders, lines = [], []
        self.order_kinds = {"clicked": 0, "organic": 0, "code": 0, "self_referral": 0}
        for order_id in range(1, self.orders + 1):
            kind = rng.random()
            code_id = None
            email = f"shopper{order_id}@bench.example"
            if kind < 0.78:
                v = clicked[bisect.bisect(weights, rng.random() * weights[-1])]
                at, link = rng.choice(self.visitor_clicks[v])
                created = min(self.end - timedelta(seconds=1), at + timedelta(seconds=rng.expovariate(1 / (3 * 86400))))
                visitor = self.visitor_ids[v]
                influencer = self.link_influencer[link] if rng.random() < 0.7 else rng.choice(self.influencer_ids)
                if rng.random() < 0.013:
                    email = self.influencer_email[self.link_influencer[link]]
                    self.order_kinds["self_referral"] += 1
                self.order_kinds["clicked"] += 1
            else:
                created = self.start + timedelta(seconds=rng.random() * (self.end - self.start).total_seconds())
                visitor = None if rng.random() < 0.5 else hex_id("never-clicked", order_id)
                influencer = rng.choice(self.influencer_ids)
                self.order_kinds["organic"] += 1
            storefront = influencer
            chosen = rng.sample(self.items[storefront], rng.choice((1, 1, 1, 2, 2, 3)))
            if rng.random() < 0.10:
                line_brands = {self.products[pid][0] for _, pid in chosen}
                candidates = [(c, b) for codes in self.codes.values() for c, b in codes if b in line_brands]
                if candidates:
                    code_id = rng.choice(candidates)[0]
                    self.order_kinds["code"] += 1
            total = discount_total = 0
            for item_id, pid in chosen:
                brand, price = self.products[pid]
                quantity = rng.choice((1, 1, 1, 2))
                discount = price * quantity // 10 if code_id and self.code_brand[code_id] == brand else 0
                line_total = price * quantity - discount
                total += line_total
                discount_total += discount
                lines.append((len(lines) + 1, order_id, pid, brand, item_id, storefront, influencer, f"Product {pid}",
                              f"SKU-{pid}", price, "USD", quantity, discount, line_total, 1000, 0, 0))
            paid = created + timedelta(seconds=rng.randint(5, 600))
            orders.append((order_id, storefront, influencer, None, email, visitor, hex_id("token", order_id) * 2, "paid",
                           "USD", total, code_id, discount_total, 0, created + timedelta(minutes=30),
                           f"pi_bench_{order_id}", paid, False, created, paid))
        self.copy(
            "orders",
            ("id", "storefront_id", "influencer_id", "shopper_user_id", "email", "visitor_id", "access_token_hash", "status",
             "currency", "total", "discount_code_id", "discount_total", "refunded_total", "reserved_until",
             "payment_intent_id", "paid_at", "needs_refund", "created_at", "updated_at"),
            orders,
        )
        self.copy(
            "order_lines",
            ("id", "order_id", "product_id", "brand_id", "storefront_item_id", "storefront_id", "influencer_id", "title",
             "sku", "unit_price", "currency", "quantity", "discount_amount", "line_total", "commission_bps",
             "refunded_quantity", "refunded_amount"),
            lines,
        )

    def run(self) -> dict:
        steps = [
            ("people and catalog", self.people_and_catalog),
            ("share links", self.links),
            ("clicks", self.write_clicks),
            ("orders", self.write_orders),
        ]
        for name, step in steps:
            started = time.perf_counter()
            step()
            self.conn.commit()
            log(f"  {name}: {time.perf_counter() - started:.1f} s")
        self.loader.fix_sequences(("users", "brands", "influencer_profiles", "storefronts", "products", "storefront_items",
                                   "discount_codes", "share_links", "clicks", "orders", "order_lines"))
        self.conn.commit()
        return {"rows": self.loader.counts, "orders": self.order_kinds, "start": self.start, "end": self.end}


def generate(database_url: str, *, visitors: int = 100_000, clicks: int = 1_000_000, orders: int = 20_000,
             days: int = 60, seed: int = 1, end: datetime | None = None) -> dict:
    """Fill an empty PostgreSQL database (``flask db upgrade`` first); returns what was written."""
    import psycopg

    started = time.perf_counter()
    migrate_empty_database(database_url)
    end = end or datetime.now(timezone.utc).replace(microsecond=0)
    with psycopg.connect(psycopg_url(database_url)) as conn:
        result = Generator(conn, visitors=visitors, clicks=clicks, orders=orders, days=days, seed=seed, end=end).run()
        vacuum_analyze(conn)
    result["seconds"] = time.perf_counter() - started
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an EMPTY PostgreSQL database")
    parser.add_argument("--visitors", type=int, default=100_000)
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    log(f"generating into {args.database_url}")
    result = generate(args.database_url, visitors=args.visitors, clicks=args.clicks, orders=args.orders,
                      days=args.days, seed=args.seed)
    print(f"generated in {result['seconds']:.0f} s: " + ", ".join(f"{n} {t}" for t, n in result["rows"].items()))
    print("orders: " + ", ".join(f"{n} {kind}" for kind, n in result["orders"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
