"""SQLAlchemy 2 setup: the declarative base, one engine per app, one session per app context."""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass
from typing import Any, Mapping
from datetime import datetime, timezone

from flask import Flask, current_app, g
from sqlalchemy import BigInteger, DateTime, Engine, Enum, MetaData, Table, any_, create_engine, event, insert, literal, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetimes are not stored; use UTC-aware values")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Money amounts are integers in minor units; BigInteger keeps large totals exact.
MinorUnits = BigInteger


def value_enum(enum_class: type[enum.Enum], name: str, length: int = 24) -> Enum:
    """A Python enum stored as its values in a VARCHAR (no database enum type to migrate)."""
    return Enum(
        enum_class, name=name, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


@dataclass
class DatabaseState:
    engine: Engine
    session_factory: sessionmaker[Session]


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # Let SQLAlchemy, not the driver, start transactions (see _begin_sqlite_transaction).
    dbapi_connection.isolation_level = None


def _begin_sqlite_transaction(connection) -> None:
    # pysqlite would otherwise begin lazily and break SAVEPOINTs (SQLAlchemy's documented fix).
    # IMMEDIATE takes the write lock up front: concurrent transactions queue (busy timeout)
    # instead of failing when two readers both try to become the writer. SQLite is the
    # embedded development default; production runs PostgreSQL.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


class Database:
    """Gives each app context its own session, closed (and rolled back if unfinished) at teardown."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ECHO"])
        app.extensions["db"] = DatabaseState(engine, sessionmaker(bind=engine, expire_on_commit=False))
        app.teardown_appcontext(self._close_session)

    @property
    def state(self) -> DatabaseState:
        return current_app.extensions["db"]

    @property
    def engine(self) -> Engine:
        return self.state.engine

    @property
    def metadata(self) -> MetaData:
        return Base.metadata

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.state.session_factory()
        return g.db_session

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is None:
            return
        try:
            session.close()
        except DBAPIError as exc:
            # The connection died under an open transaction (PostgreSQL restarted): the rollback
            # cannot be sent, and the server rolled the transaction back already. Drop the
            # connection and keep the response (else the client gets the server's bare 500).
            log.warning("database session closed on a lost connection: %s", exc.orig or exc)
            session.invalidate()


db = Database()


def commit_or_raise(error: Exception) -> None:
    """Commit the session; if a constraint refuses the change, roll back and raise ``error``.

    Unique constraints are the source of truth for "already taken" (slugs, emails,
    SKUs): checking first and inserting after would race.
    """
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise error from None


def on_postgresql() -> bool:
    """Whether the app's database is PostgreSQL (else SQLite, the embedded default)."""
    return db.engine.dialect.name == "postgresql"


def upsert(table):
    """An INSERT that takes ``on_conflict_do_nothing``/``on_conflict_do_update``: the current
    backend's own (PostgreSQL's or SQLite's)."""
    dialect_insert = pg_insert if on_postgresql() else sqlite_insert
    return dialect_insert(table)


def among(column, ids):
    """``column IN ids`` for a batch of ids; on PostgreSQL ``column = ANY(array)``: one parameter,
    where an IN list of a thousand ids is a thousand, in a statement too long for psycopg's
    cache of parsed queries (it parsed such a statement anew at every batch)."""
    if not on_postgresql():
        return column.in_(ids)
    return column == any_(literal(list(ids), ARRAY(column.type)))


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in the session's transaction. On PostgreSQL with
    ``COPY ... FROM STDIN`` (no statement to parse per row, no arrays to build: the fastest way
    in); elsewhere, executemany."""
    if not rows:
        return
    session = db.session
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    quote = dialect.identifier_preparer.quote
    driver_connection = session.connection().connection.driver_connection
    with driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {quote(table.name)} ({', '.join(map(quote, names))}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])


def insert_rows_returning_ids(table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows; their new ids, in the rows' order. On PostgreSQL the ids are drawn from the
    column's sequence first, so the rows go in as one ``unnest()`` insert (``insert_rows``)."""
    session = db.session
    if not on_postgresql():
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.execute(statement, rows).scalars())
    ids = list(session.scalars(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": len(rows)},
    ))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    insert_rows(table, rows)
    return ids


# PostgreSQL stores no NUL character in text, and UTF-8 no lone surrogate; JSON's escapes
# (\u0000, \ud800) carry both, so either would reach the database and fail there (a 500).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def has_unstorable_text(value: Any) -> bool:
    """Whether ``value`` (text, or JSON-like lists and mappings of it, keys included) has such a character."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_unstorable_text(key) or has_unstorable_text(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_unstorable_text(item) for item in value)
    return False
