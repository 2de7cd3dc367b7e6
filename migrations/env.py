"""Alembic environment, run through Flask-Migrate (``flask db ...``) inside the app context.

The target is ``marketplace.models.metadata``; the connection is the app's engine,
so ``DATABASE_URL`` decides which database is migrated.
"""

import logging

from alembic import context
from flask import current_app

from marketplace.db import UTCDateTime
from marketplace.models import metadata

log = logging.getLogger("alembic.env")
config = context.config


def render_item(type_, obj, autogen_context):
    """Write app column types as plain SQLAlchemy ones, so old migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    url = current_app.extensions["db"].engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty_autogenerate(_context, _revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")

    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    options.setdefault("render_item", render_item)
    with current_app.extensions["db"].engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
