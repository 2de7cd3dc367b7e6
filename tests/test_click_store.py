"""Storing clicks: the repeat rule, decided in time order within a batch and against the clicks
already stored, on whichever database the suite runs (the set-based statement on PostgreSQL,
the Python pass elsewhere), and the two implementations compared click by click on PostgreSQL."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from marketplace.db import db
from marketplace.links import clicks as click_module
from marketplace.links.models import Click, ShareLink

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def links(make, app):
    storefront = make.storefront()
    for channel in ("instagram", "blog"):
        response = make.client.post(
            "/api/v1/links", json={"storefront": storefront["slug"], "channel": channel}, headers=storefront["owner"].headers
        )
        assert response.status_code == 201
    with app.app_context():
        return list(db.session.scalars(select(ShareLink.id).order_by(ShareLink.id)))


def click(link_id: int, minutes: float, visitor: str = "v1", ip: str = "ip1", browser: str = "Chrome", bot: bool = False):
    """A click as record_click buffers it; ``uid`` names it in the assertions."""
    return {
        "uid": uuid.uuid4().hex,
        "link_id": link_id,
        "visitor_id": visitor,
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "referrer_host": None,
        "device": "bot" if bot else "desktop",
        "browser": browser,
        "ip_hash": ip,
        "is_bot": bot,
    }


def store(app, *batches: list[dict]) -> list[bool]:
    """Store each batch in turn with store_clicks; ``counted`` of every click, in the order given."""
    order = [c["uid"] for batch in batches for c in batch]
    with app.app_context():
        for batch in batches:
            click_module.store_clicks([dict(c) for c in batch])
        counted = dict(db.session.execute(select(Click.uid, Click.counted)).all())
    return [counted[uid] for uid in order]


# Each case: batches of clicks (link index, minutes after T0, visitor, address, browser, bot),
# stored one batch after the other, and the expected ``counted`` of every click in that order.
CASES = {
    "a repeat within the hour counts once": ([[(0, 0), (0, 59.9)]], [True, False]),
    "after an hour it counts again": ([[(0, 0), (0, 60)]], [True, True]),
    # Every human click, counted or not, is the new "last seen": a chain of clicks every
    # 50 minutes stays repeats, though the first counted click is long past.
    "a chain every 50 minutes stays repeats": ([[(0, 0), (0, 50), (0, 100), (0, 150)]], [True, False, False, False]),
    "the chain across batches too": ([[(0, 0)], [(0, 50)], [(0, 100)], [(0, 161)]], [True, False, False, True]),
    "same address and browser, another visitor": (
        [[(0, 0, "v1", "ip1", "Chrome"), (0, 10, "v2", "ip1", "Chrome"), (0, 20, "v3", "ip1", "Firefox"),
          (0, 30, "v4", "ip2", "Chrome")]],
        [True, False, True, True],
    ),
    "either key makes a repeat, and refreshes both": (
        # v2 repeats by address at 40, which makes 40 the last seen of v2 too: v2 from another
        # address at 90 is a repeat; v1 (last seen at 0) at 100 is not.
        [[(0, 0, "v1", "ip1"), (0, 40, "v2", "ip1"), (0, 90, "v2", "ip9"), (0, 100, "v1", "ip8")]],
        [True, False, False, True],
    ),
    "the address chain refreshes through another visitor": (
        [[(0, 0, "v1", "ip1"), (0, 40, "v2", "ip1"), (0, 90, "v3", "ip1")]],
        [True, False, False],
    ),
    "another link is not a repeat": ([[(0, 0), (1, 5), (1, 30)]], [True, True, False]),
    "bots never count and make nothing a repeat": (
        [[(0, 0, "v1", "ip1", "Chrome", True), (0, 5), (0, 50, "v1", "ip1", "Chrome", True), (0, 70)]],
        [False, True, False, True],
    ),
    "a batch is taken in time order": ([[(0, 30), (0, 0), (0, 45)]], [False, True, False]),
    "ties keep the buffer's order": (
        [[(0, 0, "v2", "ip1"), (0, 0, "v1", "ip1"), (0, 0, "v1", "ip1")]],
        [True, False, False],
    ),
    "judged against clicks already stored": ([[(0, 0), (1, 0)], [(0, 30), (1, 61)]], [True, True, False, True]),
    # A click stored earlier but later in time (a late-pushed entry) makes an earlier click a
    # repeat; once a click of the batch has the key, the batch's own last-seen time is used.
    "a later click already stored, then the batch's own": (
        [[(0, 120)], [(0, 0), (0, 65)]],
        [True, False, True],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_repeat_rule(app, links, name):
    batches, expected = CASES[name]
    built = [[click(links[spec[0]], *spec[1:]) for spec in batch] for batch in batches]

    assert store(app, *built) == expected


def test_store_returns_the_rows_added_and_a_batch_stored_twice_adds_nothing(app, links):
    first = [click(links[0], 0), click(links[0], 10, "v2", "ip2")]
    second = first + [click(links[0], 20, "v3", "ip3")]

    with app.app_context():
        assert click_module.store_clicks([dict(c) for c in first]) == 2
        assert click_module.store_clicks([dict(c) for c in second]) == 1
        assert click_module.store_clicks([]) == 0
        rows = db.session.execute(select(Click.uid, Click.counted).order_by(Click.id)).all()

    assert rows == [(c["uid"], True) for c in second]


def test_a_uid_pushed_twice_is_stored_once(app, links):
    first, other = click(links[0], 0), click(links[0], 1, "v2", "ip2")

    with app.app_context():
        assert click_module.store_clicks([dict(first), dict(other), dict(first)]) == 2
        rows = db.session.execute(select(Click.uid, Click.counted).order_by(Click.id)).all()

    assert rows == [(first["uid"], True), (other["uid"], True)]


def test_rows_are_inserted_in_time_order(app, links):
    batch = [click(links[0], 30, "v1", "ip1"), click(links[1], 10, "v2", "ip2"), click(links[0], 20, "v3", "ip3")]

    with app.app_context():
        click_module.store_clicks([dict(c) for c in batch])
        uids = list(db.session.scalars(select(Click.uid).order_by(Click.id)))

    assert uids == [batch[1]["uid"], batch[2]["uid"], batch[0]["uid"]]


def test_drain_decides_repeats_across_its_batches(app, links, redis):
    clicks = [click(links[0], m, f"v{m % 3}", f"ip{m % 3}") for m in (0, 1, 2, 50, 51, 115, 170, 171)]
    redis.rpush(click_module.BUFFER_KEY, *[json.dumps(c) for c in clicks])

    with app.app_context():
        assert click_module.drain_clicks(batch_size=3) == 8
        counted = dict(db.session.execute(select(Click.uid, Click.counted)).all())

    # Batches of 3: [0, 1, 2], [50, 51, 115], [170, 171]. v0: 0, 51 (repeat), 171 (120 min after
    # 51); v1: 1, 115 (114 min later); v2: 2, 50 (repeat), 170 (120 min after 50).
    assert [counted[c["uid"]] for c in clicks] == [True, True, True, False, False, True, True, True]
    assert redis.llen(click_module.BUFFER_KEY) == 0


# ------------------------------------------------ PostgreSQL's statement against the Python pass


def random_batches(rng: random.Random, links: list[int], count: int) -> list[list[dict]]:
    """Dense traffic (few visitors, addresses and browsers; minute-grained times, so ties) in
    batches of random sizes, pushed roughly in time order with some entries late."""
    entries = []
    for _ in range(count):
        minutes = rng.randrange(0, 6 * 60)
        entry = click(
            rng.choice(links), minutes, f"v{rng.randrange(12)}", f"ip{rng.randrange(6)}",
            rng.choice(["Chrome", "Firefox"]), bot=rng.random() < 0.1,
        )
        entries.append((minutes + rng.uniform(-90, 90), entry))
    entries = [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]
    batches, start = [], 0
    while start < len(entries):
        size = rng.randint(1, 40)
        batch = entries[start : start + size]
        if rng.random() < 0.1:  # an entry pushed twice (same uid)
            batch.insert(rng.randrange(len(batch) + 1), rng.choice(batch))
        batches.append(batch)
        start += size
    return batches


def run_path(app, store, batches) -> list[tuple[str, bool]]:
    """Store the batches (each one twice over, with the next one's entries added, as a drainer that
    died before trimming would) with ``store``; ``(uid, counted)`` in id order."""
    with app.app_context():
        db.session.execute(delete(Click))
        db.session.commit()
        for i, batch in enumerate(batches):
            if i % 5 == 4:  # the previous batch stored again, together with this one
                store([dict(c) for c in batches[i - 1] + batch])
            else:
                store([dict(c) for c in batch])
        return [tuple(row) for row in db.session.execute(select(Click.uid, Click.counted).order_by(Click.id))]


@pytest.mark.parametrize("seed", range(6))
def test_postgres_statement_agrees_with_the_python_pass(app, links, seed):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the set-based statement is PostgreSQL's; this suite runs on SQLite")
    batches = random_batches(random.Random(seed), links, 400)

    by_python = run_path(app, click_module._store_python, batches)
    by_postgres = run_path(app, lambda clicks: click_module._store_postgres([json.dumps(c) for c in clicks]), batches)

    assert len(by_python) == 400
    assert by_postgres == by_python
    assert 0 < sum(counted for _, counted in by_python) < 400


# ------------------------------------------------ the drain's lock


def test_the_drain_renews_its_lock_before_each_batch_and_stops_if_it_lost_it(app, links, redis, monkeypatch):
    entries = [click(links[0], m, f"v{m}", f"ip{m}") for m in range(5)]
    redis.rpush(click_module.BUFFER_KEY, *[json.dumps(c) for c in entries])
    store, seen = click_module._store_buffered, []

    def slow_store(raw):
        seen.append(redis.ttl(click_module.DRAIN_LOCK_KEY))
        redis.expire(click_module.DRAIN_LOCK_KEY, 1)  # as if the batch had taken most of the lock's time
        if len(seen) == 2:  # the lock expires and another drainer takes it
            redis.set(click_module.DRAIN_LOCK_KEY, "another drainer")
        return store(raw)

    monkeypatch.setattr(click_module, "_store_buffered", slow_store)
    with app.app_context():
        assert click_module.drain_clicks(batch_size=2, lock_seconds=30) == 4

    assert seen[0] > 20 and seen[1] > 20  # renewed before the second batch
    assert len(seen) == 2 and redis.llen(click_module.BUFFER_KEY) == 1  # stopped: the rest is the other's
    assert redis.get(click_module.DRAIN_LOCK_KEY) == b"another drainer"
