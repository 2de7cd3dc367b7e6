"""Unique visitors as HyperLogLog sketches, on PostgreSQL with the ``hll`` extension (Debian's
``postgresql-NN-hll``; the migration creates the extension where it is installed).

Distinct visitors do not add up across days or links, sketches do: the union of two sketches
is the sketch of the union. A sketch (``log2m`` 11, 5-bit registers: the extension's defaults)
holds the exact hashes of up to a few hundred visitors and then estimates, with a standard
error of 1.04 / sqrt(2048) = 2.3 %. They are stored as ``bytea`` (``bytea::hll`` casts back),
so the schema is the same without the extension: there (and on SQLite) no sketch is kept and
reports count distinct visitors on the raw clicks, exactly and more slowly.
"""

from __future__ import annotations

from sqlalchemy import String, cast, func, null, text
from sqlalchemy.types import UserDefinedType

from marketplace.db import db


class HLL(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "hll"


_installed: dict = {}


def sketches() -> bool:
    """Whether this database keeps sketches (PostgreSQL with the ``hll`` extension)."""
    engine = db.session.get_bind()
    if engine.dialect.name != "postgresql":
        return False
    if engine not in _installed:
        _installed[engine] = db.session.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'hll'")) > 0
    return _installed[engine]


def _as_bytes(hll):
    return func.decode(func.substr(cast(hll, String), 3), "hex")  # an hll prints as \x and hex


def sketch_of(visitor_id):
    """Aggregate: the sketch of these visitors (None without sketches)."""
    return _as_bytes(func.hll_add_agg(func.hll_hash_text(visitor_id))) if sketches() else null()


def sketch_union(a, b):
    """The sketch of both sketches' visitors (None without sketches)."""
    return _as_bytes(func.hll_union(cast(a, HLL), cast(b, HLL))) if sketches() else null()


def union_sketch(sketch):
    """Aggregate: the union of stored sketches, as an hll (for ``estimate``)."""
    return func.hll_union_agg(cast(sketch, HLL))


def add_visitors(visitor_id):
    """Aggregate: the sketch of raw clicks' visitors, as an hll."""
    return func.hll_add_agg(func.hll_hash_text(visitor_id))


def estimate(hll):
    """The distinct count a sketch holds, rounded (exact while it holds the hashes themselves)."""
    return func.round(func.hll_cardinality(hll))
