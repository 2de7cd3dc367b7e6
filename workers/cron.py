"""Periodic jobs, for RQ's cron scheduler: ``rq cron --url "$REDIS_URL" workers.cron``.

Each entry enqueues a job on a queue that ``python -m workers`` serves; run one
cron scheduler per deployment.
"""

from rq import cron

from marketplace.payouts.services import RUN_AT as PAYOUTS_AT

from workers.jobs import (
    approve_commissions,
    attribute_pending_orders,
    drain_clicks,
    expire_orders,
    prune_tokens,
    reconcile_payments,
    refresh_reports,
    roll_up_clicks,
    run_payouts,
)

cron.register(prune_tokens, "low", cron="17 3 * * *", name="prune-tokens")  # daily, 03:17 UTC
cron.register(expire_orders, "default", interval=60, name="expire-orders")  # unpaid orders past their hold
cron.register(drain_clicks, "default", interval=5, name="drain-clicks")  # the redirect's click buffer
cron.register(reconcile_payments, "low", interval=900, name="reconcile-payments")  # webhooks that never came
cron.register(approve_commissions, "low", interval=3600, name="approve-commissions")  # holds that passed
cron.register(run_payouts, "low", cron=f"{PAYOUTS_AT.minute} {PAYOUTS_AT.hour} * * *", name="run-payouts")  # daily, UTC
# A sweep: paid orders whose wake-up was lost (Redis down at payment time) are attributed anyway.
cron.register(attribute_pending_orders, "default", interval=300, name="attribute-pending-orders")
# Sweeps for the report rollups: stale orders and stored clicks whose wake-up was lost.
cron.register(refresh_reports, "default", interval=300, name="refresh-reports")
cron.register(roll_up_clicks, "default", interval=60, name="roll-up-clicks")
