"""Demo data for ``flask seed-demo``: a small, living marketplace with four months of history
(links, clicks, orders, refunds) behind its reports. Safe to run again."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import password_hasher
from marketplace.brands.models import Brand, BrandMember
from marketplace.catalog.models import Product
from marketplace.attribution.services import attribute_orders
from marketplace.db import db, utcnow
from marketplace.discounts import services as discounts
from marketplace.discounts.models import CodeStatus, DiscountCode
from marketplace.influencers.models import InfluencerProfile, SocialProfile
from marketplace.links.clicks import classify, click_uid, hash_ip, store_clicks
from marketplace.links.models import ShareLink
from marketplace.links.services import create_link, reshare
from marketplace.orders.models import Order, OrderLine, OrderStatus, Refund, RefundLine, RefundStatus
from marketplace.orders.services import log_event, new_order
from marketplace.reports.rollups import rebuild
from marketplace.storefronts.models import Collection, Storefront, StorefrontItem

DEMO_PASSWORD = "demo-password"  # documented in the README; demo accounts only

BRANDS = [
    {
        "slug": "northwind-kitchen",
        "name": "Northwind Kitchen",
        "website": "https://northwind.example",
        "default_commission_bps": 1200,
        "hold_days": 2,  # minutes under `make run` (HOLD_PERIOD_UNIT=minutes)
        "products": [
            ("NK-PAN-10", "Carbon steel pan, 10 in", 4900, 40, None, "Seasoned, oven-safe, lasts decades."),
            ("NK-KNIFE-8", "Chef's knife, 8 in", 12900, 15, 1500, "High-carbon stainless, hand-sharpened."),
            ("NK-BOARD", "End-grain cutting board", 8900, 8, None, "Maple, oiled, kind to knife edges."),
            ("NK-SALT", "Flaky sea salt, 250 g", 1200, 200, None, "Harvested by hand on the Atlantic coast."),
            ("NK-APRON", "Waxed canvas apron", 5400, 0, None, "Sold out until the spring run."),
        ],
    },
    {
        "slug": "fernhill-books",
        "name": "Fernhill Books",
        "website": "https://fernhill.example",
        "default_commission_bps": 800,
        "hold_days": 14,
        "products": [
            ("FB-GARDEN", "The Small Garden Year", 2400, 60, None, "Month-by-month planting for balconies."),
            ("FB-BREAD", "Slow Bread", 3200, 25, 1000, "Sourdough from starter to crumb."),
            ("FB-JOURNAL", "Field journal, dot grid", 1800, 120, None, "Lay-flat binding, 160 pages."),
        ],
    },
    {
        "slug": "alba-outdoor",
        "name": "Alba Outdoor",
        "website": "https://alba.example",
        "default_commission_bps": 1000,
        "hold_days": 45,
        "products": [
            ("AO-FLASK", "Insulated flask, 750 ml", 3500, 80, None, "Hot for 12 hours, cold for 24."),
            ("AO-JACKET", "Packable rain jacket", 18900, 12, 800, "Three-layer shell, 240 g."),
            ("AO-LAMP", "Rechargeable camp lamp", 2900, 35, None, "USB-C, 300 lumens, warm light."),
        ],
    },
]

INFLUENCERS = [
    {
        "email": "maya@demo.example",
        "handle": "mayacooks",
        "display_name": "Maya Okafor",
        "bio": "Home cook and recipe writer. I only list what lives in my own kitchen.",
        "socials": [("instagram", "https://instagram.com/mayacooks", 48200), ("blog", "https://mayacooks.example", None)],
        "storefront": ("maya-kitchen", "Maya's kitchen", "The tools I reach for every day."),
        "collections": {
            "Everyday essentials": [
                ("NK-PAN-10", "The pan I cook eggs in every morning."),
                ("NK-SALT", "A pinch on everything, especially tomatoes."),
            ],
            "Holiday gift guide": [
                ("NK-KNIFE-8", "The best present I ever got myself."),
                ("FB-BREAD", "For the friend who keeps asking about my starter."),
            ],
        },
        "loose": [("NK-BOARD", "Worth every cent; my knives thank me.")],
        # (storefront, a collection or a SKU; channel; campaign; how often it is clicked)
        "links": [
            (None, "instagram", "everyday-cooking", 5),
            ("Holiday gift guide", "instagram", "holiday-gifts", 4),
            ("Everyday essentials", "blog", "pantry-basics", 3),
            ("NK-KNIFE-8", "pinterest", "knife-care", 2),
            ("FB-BREAD", "email", "newsletter", 1),
        ],
        # Re-share chains made by visitors: (index of the parent link, channels, one per level)
        "reshares": [(1, ("sms", "email")), (0, ("facebook",))],
        "discount_code": ("MAYA10", "northwind-kitchen", 1000),
    },
    {
        "email": "tom@demo.example",
        "handle": "tomoutside",
        "display_name": "Tom Reyes",
        "bio": "Weekend hiker, small-press reader.",
        "socials": [("youtube", "https://youtube.com/@tomoutside", 12900)],
        "storefront": ("tom-trail-kit", "Trail kit", "What comes in my pack, and what I read at camp."),
        "collections": {
            "In my pack": [
                ("AO-FLASK", "Still hot at the summit."),
                ("AO-LAMP", "Charges from my power bank."),
                ("AO-JACKET", "Weighs nothing, saved me twice."),
            ],
            "Camp reading": [("FB-GARDEN", "Yes, a gardening book. Trust me."), ("FB-JOURNAL", "For notes and sketches.")],
        },
        "loose": [],
        "links": [
            (None, "youtube", "trail-season", 4),
            ("In my pack", "youtube", "gear-review", 3),
            ("Camp reading", "instagram", "reading-list", 2),
            ("AO-JACKET", "tiktok", "rain-test", 2),
        ],
        "reshares": [(1, ("other",))],
        "discount_code": ("TOMTRAIL", "alba-outdoor", 1500),
    },
]


def seed() -> bool:
    """Create the demo data unless it is there already; returns whether anything was created.
    The catalog commits first; the history's links and codes go through their services (which
    commit), its clicks, orders and refunds in one transaction, then attribution and the rollups."""
    if db.session.scalar(select(Brand).where(Brand.slug == BRANDS[0]["slug"])) is not None:
        return False
    _seed_catalog()
    History(random.Random(RANDOM_SEED), utcnow()).seed()
    return True


def _seed_catalog() -> None:
    """Accounts, brands, products, influencers and their storefronts, in one transaction."""
    session = db.session
    password_hash = password_hasher().hash(DEMO_PASSWORD)

    def user(email: str, role: Role) -> User:
        account = User(email=email, password_hash=password_hash, role=role)
        session.add(account)
        session.flush()
        return account

    owner = user("brands@demo.example", Role.BRAND)
    user("shopper@demo.example", Role.SHOPPER)
    products: dict[str, Product] = {}
    for spec in BRANDS:
        brand = Brand(
            slug=spec["slug"],
            name=spec["name"],
            website=spec["website"],
            default_commission_bps=spec["default_commission_bps"],
            hold_days=spec["hold_days"],
        )
        session.add(brand)
        session.flush()
        session.add(BrandMember(brand_id=brand.id, user_id=owner.id, role="owner"))
        for sku, title, price, stock, bps, description in spec["products"]:
            product = Product(
                brand=brand,
                sku=sku,
                title=title,
                description=description,
                price=price,
                currency="USD",
                stock=stock,
                commission_bps=bps,
                image_urls=[],  # no image host in the demo: the pages show their placeholder
            )
            session.add(product)
            products[sku] = product

    for spec in INFLUENCERS:
        profile = InfluencerProfile(
            user_id=user(spec["email"], Role.INFLUENCER).id,
            handle=spec["handle"],
            display_name=spec["display_name"],
            bio=spec["bio"],
            socials=[
                SocialProfile(position=i, channel=channel, url=url, followers=followers)
                for i, (channel, url, followers) in enumerate(spec["socials"])
            ],
        )
        slug, title, description = spec["storefront"]
        storefront = Storefront(influencer=profile, slug=slug, title=title, description=description)
        session.add(storefront)
        session.flush()
        lists: list[tuple[int | None, list]] = []
        for c_position, (name, entries) in enumerate(spec["collections"].items()):
            collection = Collection(storefront_id=storefront.id, name=name, position=c_position)
            session.add(collection)
            session.flush()
            lists.append((collection.id, entries))
        lists.append((None, spec["loose"]))
        for collection_id, entries in lists:
            for position, (sku, note) in enumerate(entries):
                session.add(
                    StorefrontItem(
                        storefront_id=storefront.id,
                        collection_id=collection_id,
                        product=products[sku],
                        note=note,
                        position=position,
                    )
                )
    session.commit()


# ------------------------------------------------------------------ four months of history

RANDOM_SEED = 6  # the same history on every run, relative to the moment of seeding
HISTORY_DAYS = 120
SHOPPERS = 300  # shopper@demo.example, then shopper1@demo.example, ...: more than the orders' first-time buyers
BROWSERS = 1800  # visitors who click and never buy
BOT_CLICKS = 180
ORDERS = 380
RETURNING_SHARE = 0.3  # orders placed by someone who bought before
DEMO_SHOPPER_EVERY = 40  # shopper@demo.example places the first order and every 40th
CODE_SHARE = 0.05  # orders with an influencer's discount code
ORGANIC_SHARE = 0.18  # orders with no click before them
REFUND_SHARE = 0.05  # orders partly refunded later
REPEAT_SHARE = 0.08  # clicks clicked again within the hour

HUMAN_AGENTS = {  # User-Agent: how many visitors use it
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1": 5,
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36": 3,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36": 2,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15": 1,
    "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1": 1,
}
BOT_AGENTS = (
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)
REFERRER_HOSTS = {
    "instagram": "l.instagram.com",
    "youtube": "www.youtube.com",
    "tiktok": "www.tiktok.com",
    "pinterest": "www.pinterest.com",
    "facebook": "l.facebook.com",
    "blog": "mayacooks.example",
}


@dataclass(frozen=True)
class Visitor:
    """A browser: its visitor cookie, address and User-Agent."""

    id: str
    ip: str
    user_agent: str


@dataclass(frozen=True)
class Shopper:
    """A buyer: email, account (only shopper@demo.example has one) and browser."""

    email: str
    account: User | None
    visitor: Visitor


@dataclass
class DemoLink:
    """A share link, how often visitors pick it, and what its readers buy from."""

    link: ShareLink
    weight: int
    featured: list[StorefrontItem]  # the linked item, the collection's items, or the storefront's
    items: list[StorefrontItem]  # the storefront's
    storefront: Storefront


class History:
    """About four months of share links, clicks, paid orders and partial refunds for the demo
    influencers, then attributed, commissioned and rolled up by the app's own services."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng, self.now = rng, now
        self.start = now - timedelta(days=HISTORY_DAYS)
        self.clicks: list[dict] = []
        self.agents = {agent: classify(agent) for agent in [*HUMAN_AGENTS, *BOT_AGENTS]}
        self.brand_user = db.session.scalar(select(User).where(User.email == "brands@demo.example"))

    def seed(self) -> None:
        links = self._links()
        orders = self._orders(links, self._discount_codes())
        self._browsing(links)
        store_clicks(self.clicks)  # decides bots and repeats as the redirect's clicks are; commits the history
        attribute_orders([order.id for order in orders])
        db.session.commit()
        rebuild()

    # ---------------------------------------------------------------- visitors and clicks

    def _moment(self, after: datetime) -> datetime:
        """A moment between ``after`` and a minute ago, more likely recent (the demo grows)."""
        span = self.now - timedelta(minutes=1) - after
        return after + span * math.sqrt(self.rng.random())

    def _visitor(self) -> Visitor:
        rng = self.rng
        ip = f"100.{rng.randrange(64, 128)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        agent = rng.choices(list(HUMAN_AGENTS), weights=list(HUMAN_AGENTS.values()))[0]
        return Visitor(f"{rng.getrandbits(128):032x}", ip, agent)

    def _click(self, link: ShareLink, visitor: Visitor, at: datetime) -> None:
        """A click as the redirect records it (``links.clicks.record_click``), at ``at``."""
        device, browser, is_bot = self.agents[visitor.user_agent]
        self.clicks.append({
            "uid": click_uid(), "link_id": link.id, "visitor_id": visitor.id, "occurred_at": at.isoformat(),
            "referrer_host": REFERRER_HOSTS.get(link.channel), "device": device, "browser": browser,
            "ip_hash": hash_ip(visitor.ip, at.date()), "is_bot": is_bot,
        })
        if not is_bot and self.rng.random() < REPEAT_SHARE:
            again = at + timedelta(minutes=self.rng.randint(2, 50))
            if again < self.now:
                self.clicks.append({**self.clicks[-1], "uid": click_uid(), "occurred_at": again.isoformat()})

    def _pick(self, links: list[DemoLink], before: datetime) -> DemoLink:
        live = [entry for entry in links if entry.link.created_at < before]
        return self.rng.choices(live, weights=[entry.weight for entry in live])[0]

    def _browsing(self, links: list[DemoLink]) -> None:
        """Visitors who click and never buy, a few of them twice or three times; and bots."""
        for _ in range(BROWSERS):
            visitor = self._visitor()
            for _ in range(1 + (self.rng.random() < 0.3) + (self.rng.random() < 0.1)):
                entry = self._pick(links, self.now)
                self._click(entry.link, visitor, self._moment(entry.link.created_at))
        for _ in range(BOT_CLICKS):
            entry = self._pick(links, self.now)
            bot = Visitor(f"{self.rng.getrandbits(128):032x}", "66.249.66.1", self.rng.choice(BOT_AGENTS))
            self._click(entry.link, bot, self._moment(entry.link.created_at))

    # ---------------------------------------------------------------- links and codes

    def _links(self) -> list[DemoLink]:
        """Each influencer's links (made through the links service) and visitors' re-share chains."""
        made = []
        for spec in INFLUENCERS:
            owner = db.session.scalar(select(User).where(User.email == spec["email"]))
            storefront = db.session.scalar(select(Storefront).where(Storefront.slug == spec["storefront"][0]))
            items = list(db.session.scalars(
                select(StorefrontItem).where(StorefrontItem.storefront_id == storefront.id).order_by(StorefrontItem.id)
            ))
            own = []
            for target, channel, campaign, weight in spec["links"]:
                link = create_link(owner, {
                    "storefront": storefront.slug, "channel": channel, "campaign": campaign, **_target(items, target)
                })
                link.created_at = self.start - timedelta(days=1)
                featured = [
                    item for item in items
                    if item.id == link.storefront_item_id or (link.collection_id and item.collection_id == link.collection_id)
                ]
                own.append(DemoLink(link, weight, featured or items, items, storefront))
            made += own
            for parent_index, channels in spec["reshares"]:
                parent = own[parent_index]
                for channel in channels:
                    sharer = self._visitor()
                    shared_at = parent.link.created_at + timedelta(days=self.rng.randint(10, 40))
                    self._click(parent.link, sharer, shared_at - timedelta(minutes=3))
                    link = reshare(parent.link.code, sharer.id, None, {"channel": channel})
                    link.created_at = shared_at
                    parent = DemoLink(link, 1, parent.featured, items, storefront)
                    made.append(parent)
        return made

    def _discount_codes(self) -> dict[int, DiscountCode]:
        """Each influencer's code, proposed and approved through the discounts service, by influencer id."""
        codes = {}
        for spec in INFLUENCERS:
            text, brand_slug, percent_off_bps = spec["discount_code"]
            brand = db.session.scalar(select(Brand).where(Brand.slug == brand_slug))
            influencer = db.session.scalar(select(User).where(User.email == spec["email"]))
            code = discounts.propose_code(influencer, {"code": text, "brand_id": brand.id, "percent_off_bps": percent_off_bps})
            discounts.decide(self.brand_user, brand.id, code.id, CodeStatus.APPROVED)
            code.created_at = self.start
            codes[code.influencer_id] = code
        return codes

    # ---------------------------------------------------------------- orders

    def _shoppers(self) -> list[Shopper]:
        account = db.session.scalar(select(User).where(User.email == "shopper@demo.example"))
        return [Shopper("shopper@demo.example", account, self._visitor())] + [
            Shopper(f"shopper{n}@demo.example", None, self._visitor()) for n in range(1, SHOPPERS)
        ]

    def _orders(self, links: list[DemoLink], codes: dict[int, DiscountCode]) -> list[Order]:
        """Paid orders over the period: most after a click of the buyer, some organic, a few with
        a discount code; buyers come back. Built by ``orders.services.new_order``; no stock is taken."""
        rng = self.rng
        shoppers = self._shoppers()
        new_shoppers = iter(shoppers)
        buyers: list[Shopper] = []
        storefronts = {  # each influencer's link to their whole storefront
            entry.storefront.influencer_id: entry for entry in links
            if entry.link.depth == 0 and not entry.link.collection_id and not entry.link.storefront_item_id
        }
        orders, refunds = [], []
        for number, placed_at in enumerate(sorted(self._moment(self.start) for _ in range(ORDERS)), 1):
            if number % DEMO_SHOPPER_EVERY == 0:
                buyer = shoppers[0]
            elif buyers and rng.random() < RETURNING_SHARE:
                buyer = rng.choice(buyers)
            else:
                buyer = next(new_shoppers)
                buyers.append(buyer)
            roll, code = rng.random(), None
            if roll < CODE_SHARE:  # a discount code, after a click or not: the code wins
                code = codes[rng.choice(sorted(codes))]
                entry = storefronts[code.influencer_id]
                offer = [item for item in entry.items if item.product.brand_id == code.brand_id]
                discounts.use(code.id)
                clicked = rng.random() < 0.5
            elif roll < CODE_SHARE + ORGANIC_SHARE:  # organic: straight to a storefront
                entry = rng.choice(list(storefronts.values()))
                offer, clicked = entry.items, False
            else:
                entry = self._pick(links, placed_at)
                offer, clicked = entry.featured, True
            if clicked:
                self._journey(entry.link, links, buyer.visitor, placed_at)
            order = self._paid_order(number, entry.storefront, self._basket(offer, entry), code, buyer, placed_at)
            orders.append(order)
            if rng.random() < REFUND_SHARE and order.paid_at < self.now - timedelta(days=2):
                refunds.append(self._refund_later(order))
        db.session.flush()
        for order in orders:
            log_event(order, None, OrderStatus.PENDING_PAYMENT, "order placed",
                      {"reserved_until": order.reserved_until.isoformat()}, at=order.created_at)
            log_event(order, OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, "payment succeeded (demo history)", at=order.paid_at)
        for order, line, refunded_at in refunds:
            refund = Refund(
                order_id=order.id, requested_by_user_id=self.brand_user.id,
                reason="one unit returned" if line.refunded_quantity else "arrived scratched: partial credit",
                amount=line.refunded_amount, currency=order.currency, status=RefundStatus.SUCCEEDED,
                provider_refund_id=f"re_demo_{order.id:05d}", created_at=refunded_at, updated_at=refunded_at,
                lines=[RefundLine(order_line_id=line.id, quantity=line.refunded_quantity, amount=line.refunded_amount)],
            )
            db.session.add(refund)
            db.session.flush()
            log_event(order, OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED,
                      f"refund {refund.id} of {refund.amount} requested: {refund.reason}",
                      {"refunded_total": order.refunded_total}, at=refund.created_at)
        return orders

    def _journey(self, link: ShareLink, links: list[DemoLink], visitor: Visitor, placed_at: datetime) -> None:
        """The buyer's click on ``link`` before the order (minutes to days before), and now and
        then an earlier click on another link, maybe another influencer's."""
        rng = self.rng
        last = placed_at - timedelta(minutes=rng.randint(2, 60) if rng.random() < 0.5 else rng.randint(60, 7 * 24 * 60))
        self._click(link, visitor, max(last, link.created_at + (placed_at - link.created_at) / 2))  # after the link existed
        if rng.random() < 0.3:
            earlier = self._pick(links, last)
            at = last - timedelta(hours=rng.randint(2, 14 * 24))
            if at > earlier.link.created_at:
                self._click(earlier.link, visitor, at)

    def _basket(self, offer: list[StorefrontItem], entry: DemoLink) -> list[tuple[StorefrontItem, int]]:
        """One item of the offer, sometimes two of it, sometimes with another of the storefront's."""
        rng = self.rng
        first = rng.choice(offer)
        basket = [(first, 2 if rng.random() < 0.15 else 1)]
        others = [item for item in entry.items if item.product_id != first.product_id]
        if rng.random() < 0.25 and others:
            basket.append((rng.choice(others), 1))
        return basket

    def _paid_order(
        self, number: int, storefront: Storefront, basket: list[tuple[StorefrontItem, int]], code: DiscountCode | None,
        buyer: Shopper, placed_at: datetime,
    ) -> Order:
        """The order ``place_order`` would have made, paid a few minutes later (its token is not kept)."""
        order, _ = new_order(storefront, basket, code, buyer.account, buyer.email, buyer.visitor.id, placed_at)
        order.status = OrderStatus.PAID
        order.paid_at = order.updated_at = placed_at + timedelta(seconds=self.rng.randint(20, 300))
        order.payment_intent_id = f"pi_demo_{number:05d}"
        db.session.add(order)
        return order

    def _refund_later(self, order: Order) -> tuple[Order, OrderLine, datetime]:
        """A partial refund of one line some days after payment, on the order's amounts (one unit
        back at its share of the line, as ``orders.refunds`` counts it, or a credit); its
        ``Refund`` row is written once the order has ids."""
        line = self.rng.choice(order.lines)
        if line.quantity > 1:
            line.refunded_quantity, line.refunded_amount = 1, line.line_total // line.quantity
        else:
            line.refunded_amount = line.line_total * 3 // 10
        order.refunded_total = line.refunded_amount
        order.status = OrderStatus.PARTIALLY_REFUNDED
        order.updated_at = min(order.paid_at + timedelta(days=self.rng.randint(2, 12)), self.now - timedelta(hours=1))
        return order, line, order.updated_at


def _target(items: list[StorefrontItem], target: str | None) -> dict:
    """A link's target in the links service's terms: the storefront, a collection or an item."""
    if target is None:
        return {}
    for item in items:
        if item.product.sku == target:
            return {"item_id": item.id}
    collection = db.session.scalar(
        select(Collection.id).where(Collection.storefront_id == items[0].storefront_id, Collection.name == target)
    )
    return {"collection": collection}
