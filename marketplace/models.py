"""Every domain's models, imported so ``Base.metadata`` is complete: the Alembic target."""

from marketplace.accounts.models import AuthSession, User  # noqa: F401
from marketplace.attribution.models import (  # noqa: F401
    AttributionCredit,
    AttributionRequest,
    AttributionShare,
    AttributionTouchpoint,
    OrderAttribution,
)
from marketplace.brands.models import Brand, BrandMember  # noqa: F401
from marketplace.catalog.models import Product  # noqa: F401
from marketplace.commissions.models import CommissionLine, InfluencerTerms  # noqa: F401
from marketplace.db import Base
from marketplace.discounts.models import DiscountCode  # noqa: F401
from marketplace.influencers.models import InfluencerProfile, SocialProfile  # noqa: F401
from marketplace.links.models import Click, ShareLink  # noqa: F401
from marketplace.orders.models import Order, OrderEvent, OrderLine, Refund, RefundLine  # noqa: F401
from marketplace.payments.models import StripeEvent  # noqa: F401
from marketplace.payouts.models import Payout, PayoutAccount, SettlementLine  # noqa: F401
from marketplace.reports.models import ReportClickHour, ReportSale, ReportStaleOrder, ReportWatermark  # noqa: F401
from marketplace.storefronts.models import Collection, Storefront, StorefrontItem  # noqa: F401

metadata = Base.metadata
