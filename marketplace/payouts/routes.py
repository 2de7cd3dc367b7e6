from marketplace.db import db
from marketplace.http import Blueprint, current_user, paginate
from marketplace.payouts import services, settlement
from marketplace.payouts.schemas import (
    OrderSettlementSchema,
    PayoutAccountLinkSchema,
    PayoutAccountSchema,
    PayoutPageSchema,
    PayoutQueryArgsSchema,
    PayoutRunSchema,
)
from marketplace.queueing import enqueue_after_commit

blp = Blueprint("payouts", __name__, description="Payout accounts, payouts to influencers, brand settlements")


def _account_with_link(account, url):
    return {**{field: getattr(account, field) for field in PayoutAccountSchema().fields}, "onboarding_url": url}


def _page_with_lines(page):
    return {**page, "items": services.with_lines(page["items"])}


@blp.route("/me/payout-account", methods=["POST"])
@blp.auth_required(roles=["influencer"])
@blp.response(201, PayoutAccountLinkSchema)
@blp.alt_response(502, response="DEFAULT_ERROR")
def connect_account():
    """Create your Stripe Connect Express account (once) and get an onboarding link"""
    return _account_with_link(*services.connect_influencer(current_user()))


@blp.route("/me/payout-account", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.response(200, PayoutAccountSchema)
@blp.alt_response(404, response="NOT_FOUND")
def my_account():
    """Your payout account and whether it is ready"""
    return services.my_account(current_user())


@blp.route("/brands/<id:brand_id>/payout-account", methods=["POST"])
@blp.auth_required(roles=["brand", "admin"])
@blp.response(201, PayoutAccountLinkSchema)
@blp.alt_response(502, response="DEFAULT_ERROR")
def connect_brand_account(brand_id):
    """Create the brand's Stripe Connect Express account for settlements (owners and admins)"""
    return _account_with_link(*services.connect_brand(current_user(), brand_id))


@blp.route("/me/payouts", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(PayoutQueryArgsSchema, location="query")
@blp.response(200, PayoutPageSchema)
def my_payouts(args):
    """Your payouts, newest first, with the commission lines each covered"""
    return _page_with_lines(paginate(services.payouts_of(current_user()), args["page"], args["page_size"]))


@blp.route("/payouts", methods=["GET"])
@blp.auth_required(roles=["admin"])
@blp.arguments(PayoutQueryArgsSchema, location="query")
@blp.response(200, PayoutPageSchema)
def all_payouts(args):
    """Every payout and settlement transfer (admins)"""
    return _page_with_lines(paginate(services.all_payouts(args), args["page"], args["page_size"]))


@blp.route("/payouts/runs", methods=["POST"])
@blp.auth_required(roles=["admin"])
@blp.response(202, PayoutRunSchema)
def start_run():
    """Start a payout run now (admins); the daily run does the same"""
    enqueue_after_commit(db.session, "workers.jobs.run_payouts", job_id="payout-run")
    db.session.commit()
    return {"status": "queued"}


@blp.route("/orders/<id:order_id>/settlement", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.response(200, OrderSettlementSchema)
@blp.alt_response(404, response="NOT_FOUND")
def order_settlement(order_id):
    """How the order's money splits: per brand, net sales − platform fee − commissions = brand share"""
    return settlement.settlement_view(current_user(), order_id)
