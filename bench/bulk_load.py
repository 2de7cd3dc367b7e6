"""What the benchmark data generators share: an empty PostgreSQL database migrated with
``flask db upgrade``, rows streamed in with ``COPY``, sequences set past the ids written."""

from __future__ import annotations

import hashlib
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from read_paths import check_postgres_empty, log, run_flask, server_env  # noqa: E402

PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hiZW5jaA$YmVuY2hiZW5jaGJlbmNoYmVuY2g"  # logs nobody in


def psycopg_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def hex_id(*parts) -> str:
    """32 hex characters determined by ``parts``: visitor ids, address hashes, tokens."""
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def migrate_empty_database(database_url: str) -> None:
    """Refuse a database that has tables, then build the schema with the app's migrations."""
    check_postgres_empty(database_url)
    run_flask(["db", "upgrade"], server_env(database_url, 1, 1, 0))


class CopyLoader:
    """Streams rows into tables with ``COPY`` on one connection and counts them per table."""

    def __init__(self, conn):
        self.conn = conn
        self.counts: dict[str, int] = {}

    def copy(self, table: str, columns: tuple[str, ...], rows) -> int:
        n = 0
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        self.counts[table] = self.counts.get(table, 0) + n
        return n

    def fix_sequences(self, tables) -> None:
        """Sequences past the ids written, so the app's own inserts do not collide with them."""
        with self.conn.cursor() as cur:
            for table in tables:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")


def vacuum_analyze(conn) -> None:
    """As autovacuum soon would after a bulk load: statistics and the visibility map."""
    started = time.perf_counter()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    log(f"  VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")


@contextmanager
def without_secondary_indexes(conn, tables):
    """Drop the tables' indexes and unique constraints (primary keys stay) for a bulk load, and
    build them again afterwards from their own definitions, so they are exactly the migrations'."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[]) AND contype = 'u'", (list(tables),))
        constraints = cur.fetchall()
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)", (list(tables),))
        indexes = cur.fetchall()
        for table, name, _ in constraints:
            cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {name}")
    conn.commit()
    yield
    started = time.perf_counter()
    with conn.cursor() as cur:
        for table, name, definition in constraints:
            cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for _, definition in indexes:
            cur.execute(definition)
    conn.commit()
    log(f"  {len(constraints) + len(indexes)} indexes built again: {time.perf_counter() - started:.1f} s")
