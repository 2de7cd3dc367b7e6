"""Demo data for ``flask seed-demo``: a small, living marketplace. Safe to run again."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import password_hasher
from marketplace.brands.models import Brand, BrandMember
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.influencers.models import InfluencerProfile, SocialProfile
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
    },
]


def seed() -> bool:
    """Create the demo data unless it is there already; returns whether anything was created."""
    session = db.session
    if session.scalar(select(Brand).where(Brand.slug == BRANDS[0]["slug"])) is not None:
        return False

    # One transaction for everything, so a failed run leaves nothing half-seeded.
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
    return True
