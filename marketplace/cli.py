"""``flask`` commands: database migrations (Flask-Migrate), admins, demo data, maintenance."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import Migrate

from marketplace.db import db

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


@click.command("create-admin")
@with_appcontext
@click.option("--email", prompt=True)
@click.password_option()
def create_admin(email: str, password: str) -> None:
    """Create an administrator account (the only way to get one)."""
    from marketplace.accounts.models import Role
    from marketplace.accounts.services import create_user

    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="password")
    user = create_user(email, password, Role.ADMIN)
    click.echo(f"admin {user.email} created (id {user.id})")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo brands, products, influencers, storefronts and four months of clicks and orders (idempotent)."""
    from marketplace.demo import seed

    created = seed()
    click.echo("demo data loaded" if created else "demo data already present")


@click.command("prune-tokens")
@with_appcontext
def prune_tokens() -> None:
    """Delete bearer tokens that expired or were revoked over a week ago."""
    from marketplace.accounts.services import prune_auth_sessions

    click.echo(f"{prune_auth_sessions()} tokens pruned")


payments_cli = AppGroup("payments", help="Payments maintenance.")


@payments_cli.command("reconcile")
@click.option("--older-than", default=10, show_default=True, help="Only orders at least this many minutes old.")
@click.option("--days", default=7, show_default=True, help="Look back this many days.")
def reconcile_payments(older_than: int, days: int) -> None:
    """Apply PaymentIntents whose webhook never arrived (orders stuck unpaid)."""
    from datetime import timedelta

    from marketplace.payments.services import reconcile

    counts = reconcile(timedelta(minutes=older_than), timedelta(days=days))
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()))


attribution_cli = AppGroup("attribution", help="Attribution maintenance.")


@attribution_cli.command("rebuild")
@click.option("--brand", "brand_id", type=int, required=True)
@click.option("--from", "since", type=click.DateTime(), required=True, help="UTC, inclusive")
@click.option("--to", "until", type=click.DateTime(), required=True, help="UTC, exclusive")
@click.option("--model", default=None, help="Defaults to ATTRIBUTION_MODEL")
def rebuild_attribution(brand_id: int, since, until, model: str | None) -> None:
    """Recompute the credits of a brand's paid orders placed in a period."""
    from datetime import timezone

    from marketplace.attribution.services import attribute_orders, orders_to_rebuild
    from marketplace.links.clicks import drain_clicks

    drain_clicks()
    order_ids = orders_to_rebuild(brand_id, since.replace(tzinfo=timezone.utc), until.replace(tzinfo=timezone.utc))
    batch = current_app.config["ATTRIBUTION_BATCH_SIZE"]
    attributed, failed = 0, []
    for start in range(0, len(order_ids), batch):  # a transaction per batch, as the attribution job does
        done, not_done = attribute_orders(order_ids[start : start + batch], model)
        db.session.commit()
        attributed, failed = attributed + len(done), failed + not_done
    click.echo(f"{attributed} orders re-attributed")
    if failed:
        raise click.ClickException(f"{len(failed)} orders failed (see the log), they keep their credits: {failed[:20]}")


@attribution_cli.command("retry-failed")
def retry_failed_attribution() -> None:
    """Queue again the attribution jobs that used up their retries (and the batch job, if paid orders wait for it)."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    from sqlalchemy import func, select

    from marketplace.attribution.models import AttributionRequest
    from marketplace.attribution.services import wake_batch_job
    from marketplace.queueing import get_queue

    queue = get_queue("default")
    registry = FailedJobRegistry(queue=queue)
    retried = 0
    for job in Job.fetch_many(registry.get_job_ids(), connection=queue.connection):
        if job is not None and job.func_name == "workers.jobs.attribute_order":
            registry.requeue(job)
            retried += 1
    click.echo(f"{retried} attribution jobs queued again")
    waiting = db.session.scalar(select(func.count()).select_from(AttributionRequest))
    if waiting:
        wake_batch_job()
        click.echo(f"{waiting} paid orders waiting for the batch job: it was queued")


links_cli = AppGroup("links", help="Share links and clicks.")


@links_cli.command("drain-clicks")
def drain_clicks_command() -> None:
    """Store the clicks waiting in the Redis buffer now (the cron job does it every 5 s)."""
    import time

    from marketplace.links.clicks import drain_clicks

    started = time.perf_counter()
    stored = drain_clicks()
    seconds = time.perf_counter() - started
    click.echo(f"{stored} clicks stored in {seconds:.2f} s ({stored / seconds:.0f} clicks/s)" if stored else "0 clicks stored")


commissions_cli = AppGroup("commissions", help="The commission ledger.")


@commissions_cli.command("approve-due")
def approve_due_command() -> None:
    """Approve pending commissions whose hold period has passed (cron does it hourly)."""
    from marketplace.commissions.services import approve_due

    click.echo(f"{approve_due()} commission lines approved")


payouts_cli = AppGroup("payouts", help="Transfers to influencers and brands.")


@payouts_cli.command("run")
def run_payouts_command() -> None:
    """Pay approved commissions and due brand settlements now (cron does it daily)."""
    from marketplace.payouts.services import run_payouts

    counts = run_payouts()
    click.echo(", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items()))


reports_cli = AppGroup("reports", help="The reports' rollups.")


@reports_cli.command("rebuild")
def rebuild_reports_command() -> None:
    """Empty the report rollups and rebuild them from the raw tables (clicks, orders, credits, ledger)."""
    import time

    from marketplace.reports.rollups import rebuild

    started = time.perf_counter()
    counts = rebuild()
    click.echo(f"{counts['orders']} orders and {counts['clicks']} clicks rolled up in {time.perf_counter() - started:.1f} s")


@reports_cli.command("refresh")
def refresh_reports_command() -> None:
    """Roll up what changed since the jobs last ran: stale orders, new clicks (the jobs do it as it happens)."""
    from marketplace.reports.rollups import refresh_stale, roll_up_clicks

    click.echo(f"{refresh_stale()} orders and {roll_up_clicks()} clicks rolled up")


def init_app(app: Flask) -> None:
    import marketplace.models  # noqa: F401 - complete metadata for autogenerate

    Migrate(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    for command in (create_admin, seed_demo, prune_tokens, payments_cli, attribution_cli, links_cli,
                    commissions_cli, payouts_cli, reports_cli):
        app.cli.add_command(command)
