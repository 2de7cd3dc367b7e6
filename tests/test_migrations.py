"""The Alembic migrations build exactly the schema the models describe, and unwind fully."""

from __future__ import annotations

import uuid

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from marketplace.cli import MIGRATIONS_DIR
from marketplace.db import DatabaseState, make_engine
from marketplace.models import metadata


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A brand-new empty database on the same server as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrating_app(app, empty_database, monkeypatch):
    """The app, pointed at the empty database for the duration of the test."""
    engine = make_engine(empty_database)
    monkeypatch.setitem(app.extensions, "db", DatabaseState(engine, sessionmaker(bind=engine)))
    yield app, engine
    engine.dispose()


def _schema_differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, metadata)


def test_upgrade_head_builds_the_models_schema(migrating_app):
    app, engine = migrating_app
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)

    assert _schema_differences(engine) == []
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    # Autogenerate does not compare the order of a primary key's columns, which decides what it serves.
    keys = {name: inspect(engine).get_pk_constraint(name)["constrained_columns"] for name in metadata.tables}
    assert keys == {name: [c.name for c in table.primary_key.columns] for name, table in metadata.tables.items()}


def test_downgrade_base_removes_every_table(migrating_app):
    app, engine = migrating_app
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision="base")

    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)  # and up again, cleanly
    assert _schema_differences(engine) == []
