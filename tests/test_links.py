"""Share links, the /r/{code} redirect, click recording, bots, repeats and re-share chains."""

from __future__ import annotations

import time

import fakeredis
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from marketplace.db import db
from marketplace.links.models import Click, ShareLink
from marketplace.links.clicks import BUFFER_KEY, classify, hash_ip

API = "/api/v1"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


@pytest.fixture
def shop(make):
    brand = make.brand()
    product = make.product(brand)
    storefront = make.storefront()
    collection = make.collection(storefront)
    item = make.item(storefront, product, collection=collection["id"])
    return {"storefront": storefront, "collection": collection, "item": item, "owner": storefront["owner"]}


def create_link(client, shop, **fields):
    body = {"storefront": shop["storefront"]["slug"], "channel": "instagram", **fields}
    return client.post(f"{API}/links", json=body, headers=shop["owner"].headers)


def clicks(app):
    with app.app_context():
        return db.session.scalars(select(Click).order_by(Click.id)).all()


def test_create_links_to_storefront_collection_and_item(client, app, shop):
    to_shop = create_link(client, shop, campaign="spring")
    to_collection = create_link(client, shop, collection=shop["collection"]["id"])
    to_item = create_link(client, shop, item_id=shop["item"]["id"], channel="blog")

    assert [r.status_code for r in (to_shop, to_collection, to_item)] == [201, 201, 201]
    codes = [r.get_json()["code"] for r in (to_shop, to_collection, to_item)]
    assert len(set(codes)) == 3 and all(len(code) == 8 for code in codes)
    assert to_shop.get_json()["url"].endswith(f"/r/{codes[0]}")
    slug = shop["storefront"]["slug"]
    targets = [client.get(f"/r/{code}").headers["Location"] for code in codes]
    assert targets == [
        f"/s/{slug}?via={codes[0]}",
        f"/s/{slug}?via={codes[1]}#collection-{shop['collection']['id']}",
        f"/s/{slug}/p/{shop['item']['id']}?via={codes[2]}",
    ]


def test_create_link_refuses_bad_targets_and_others_storefronts(client, make, shop):
    other = make.storefront()

    assert create_link(client, shop, channel="myspace").status_code == 422
    assert create_link(client, shop, collection=999999).get_json()["errors"] == {"collection": ["no such collection"]}
    foreign = client.post(
        f"{API}/links", json={"storefront": other["slug"], "channel": "blog"}, headers=shop["owner"].headers
    )
    assert (foreign.status_code, foreign.get_json()["reason"]) == (403, "not_owner")


def test_redirect_records_click_and_sets_visitor_cookie(client, app, shop):
    code = create_link(client, shop).get_json()["code"]

    response = client.get(
        f"/r/{code}",
        headers={"User-Agent": PHONE, "Referer": "https://www.instagram.com/p/abc?x=1"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )

    assert response.status_code == 302
    cookie = client.get_cookie("mp_visitor")
    assert cookie is not None and len(cookie.value) == 32
    assert cookie.http_only and cookie.same_site == "Lax" and cookie.expires is not None
    [click] = clicks(app)
    assert (click.visitor_id, click.device, click.browser, click.referrer_host) == (
        cookie.value, "mobile", "Mobile Safari", "www.instagram.com"
    )
    assert (click.is_bot, click.counted) == (False, True)
    assert "203.0.113.9" not in click.ip_hash and len(click.ip_hash) == 32


def test_order_placed_after_the_click_carries_the_visitor(client, app, make, shop):
    code = create_link(client, shop).get_json()["code"]
    client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})
    product_id = shop["item"]["product"]["id"]

    order = client.post(
        f"{API}/orders",
        json={"storefront": shop["storefront"]["slug"], "items": [{"product_id": product_id, "quantity": 1}], "email": "v@example.com"},
    ).get_json()

    from marketplace.orders.models import Order

    with app.app_context():
        assert db.session.get(Order, order["id"]).visitor_id == client.get_cookie("mp_visitor").value


def test_repeat_click_within_the_hour_counts_once(client, app, shop):
    code = create_link(client, shop).get_json()["code"]

    for _ in range(3):
        client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})

    assert [c.counted for c in clicks(app)] == [True, False, False]
    listed = client.get(f"{API}/links", headers=shop["owner"].headers).get_json()["items"]
    assert listed[0]["clicks"] == 1


@pytest.mark.parametrize(
    "user_agent",
    [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
        "",
    ],
)
def test_bots_and_preview_fetchers_are_recorded_as_bots(client, app, shop, user_agent):
    code = create_link(client, shop).get_json()["code"]

    assert client.get(f"/r/{code}", headers={"User-Agent": user_agent}).status_code == 302

    [click] = clicks(app)
    assert (click.is_bot, click.counted, click.device) == (True, False, "bot")


def test_head_and_unknown_or_disabled_codes_record_nothing(client, app, shop):
    code = create_link(client, shop).get_json()["code"]

    head = client.head(f"/r/{code}")
    unknown = client.get("/r/nope1234")
    with app.app_context():
        db.session.scalar(select(ShareLink)).active = False
        db.session.commit()
    app.extensions["link_cache"].clear()  # as the cache's one-minute TTL would
    disabled = client.get(f"/r/{code}")

    assert (head.status_code, unknown.status_code, disabled.status_code) == (302, 404, 404)
    assert unknown.get_json()["code"] == 404
    assert clicks(app) == []


def test_failed_click_recording_still_redirects(client, app, shop, monkeypatch, caplog):
    code = create_link(client, shop).get_json()["code"]

    def broken(*_args, **_kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr("marketplace.links.clicks.store_clicks", broken)

    response = client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})

    assert response.status_code == 302
    assert clicks(app) == []
    assert any("not recorded" in record.getMessage() for record in caplog.records)


def test_cached_codes_are_answered_before_flask_with_the_same_response(client, app, shop, monkeypatch, caplog):
    """links.hot_path: once the view has resolved a code, its redirects skip Flask's request handling
    (the view is not called) and answer as the view does: 302, cookie, request id, click, access log."""
    code = create_link(client, shop).get_json()["code"]
    by_view = client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})

    def not_the_view(**_kwargs):
        raise AssertionError("served by the Flask view")

    monkeypatch.setitem(app.view_functions, "redirects.follow", not_the_view)
    caplog.set_level("INFO", logger="marketplace.access")
    returning = app.test_client()
    returning.set_cookie("mp_visitor", "a" * 32)
    hot = returning.get(f"/r/{code}", headers={"User-Agent": PHONE, "X-Request-ID": "req-42", "X-Forwarded-For": "203.0.113.9"})
    head = client.head(f"/r/{code}")

    assert (hot.status, hot.headers["Location"]) == (by_view.status, by_view.headers["Location"])
    assert hot.headers["X-Request-ID"] == "req-42"
    assert "mp_visitor=" + "a" * 32 in hot.headers["Set-Cookie"]
    assert by_view.headers["Set-Cookie"].split("=", 1)[1].split(";", 1)[1] == hot.headers["Set-Cookie"].split(";", 1)[1]
    assert (hot.data, hot.content_type) == (by_view.data, by_view.content_type)  # the "Redirecting..." note
    assert (head.status_code, head.data, head.content_length) == (302, b"", len(hot.data))
    [line] = [r for r in caplog.records if r.name == "marketplace.access" and r.request_id == "req-42"]
    assert (line.method, line.path, line.status, line.user_id) == ("GET", f"/r/{code}", 302, None)
    assert [(c.visitor_id, c.device) for c in clicks(app)][1:] == [("a" * 32, "mobile")]  # HEAD records nothing
    monkeypatch.undo()
    assert client.get("/r/nope1234").get_json()["code"] == 404  # not cached: on to the view


@pytest.mark.parametrize("environment, secure", [("testing", False), ("development", False), ("production", True)])
def test_the_visitor_cookie_is_secure_outside_development_on_both_paths(client, app, shop, monkeypatch, environment,
                                                                        secure):
    code = create_link(client, shop).get_json()["code"]
    monkeypatch.setitem(app.config, "MARKETPLACE_ENV", environment)

    by_view, hot = (client.get(f"/r/{code}", headers={"User-Agent": DESKTOP}) for _ in range(2))  # then cached

    for response in (by_view, hot):
        attributes = response.headers["Set-Cookie"].split("; ")[1:]
        assert ("Secure" in attributes) is secure
        assert {"HttpOnly", "Path=/", "SameSite=Lax", f"Max-Age={90 * 86400}"} <= set(attributes)


def test_reshare_chain_keeps_the_originating_influencer(client, app, shop):
    code = create_link(client, shop).get_json()["code"]
    client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})

    first = client.post(f"/r/{code}/reshare", json={"channel": "sms"}).get_json()
    second = client.post(f"/r/{first['code']}/reshare", json={}).get_json()
    third = client.post(f"/r/{second['code']}/reshare", json={"channel": "email"}).get_json()

    assert [(link["depth"], link["parent_code"]) for link in (first, second, third)] == [
        (1, code), (2, first["code"]), (3, second["code"])
    ]
    with app.app_context():
        links = db.session.scalars(select(ShareLink).order_by(ShareLink.id)).all()
        assert len({link.influencer_id for link in links}) == 1  # the originating influencer's, throughout
        assert links[1].created_by_visitor == client.get_cookie("mp_visitor").value
    # The same page, each offering a re-share of the link that led there.
    assert client.get(f"/r/{third['code']}").headers["Location"] == f"/s/{shop['storefront']['slug']}?via={third['code']}"
    owner_list = client.get(f"{API}/links", headers=shop["owner"].headers).get_json()
    assert owner_list["meta"]["total"] == 4


def test_get_link_is_for_its_owner(client, make, shop):
    code = create_link(client, shop).get_json()["code"]

    mine = client.get(f"{API}/links/{code}", headers=shop["owner"].headers)
    theirs = client.get(f"{API}/links/{code}", headers=make.influencer().headers)

    assert (mine.status_code, mine.get_json()["code"]) == (200, code)
    assert theirs.status_code == 403


@pytest.mark.parametrize(
    "user_agent, expected",
    [
        (PHONE, ("mobile", "Mobile Safari", False)),
        (DESKTOP, ("desktop", "Chrome", False)),
        ("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1", ("tablet", "Mobile Safari", False)),
        ("Twitterbot/1.0", ("bot", "Twitterbot", True)),
    ],
)
def test_classify_user_agents(user_agent, expected):
    assert classify(user_agent) == expected


def test_ip_hash_is_stable_within_a_day_and_rotates(app):
    from datetime import date

    with app.app_context():
        same_day = hash_ip("198.51.100.7", date(2026, 11, 23)), hash_ip("198.51.100.7", date(2026, 11, 23))
        next_day = hash_ip("198.51.100.7", date(2026, 11, 24))

    assert same_day[0] == same_day[1]
    assert next_day != same_day[0]


# ------------------------------------------------ the buffer (Redis), drained in batches


def test_with_redis_the_redirect_buffers_and_the_drain_stores_in_time_order(client, app, redis, shop):
    from marketplace.links.clicks import BUFFER_KEY, drain_clicks

    code = create_link(client, shop).get_json()["code"]
    other_browser = app.test_client()
    for browser, user_agent in ((client, DESKTOP), (client, DESKTOP), (other_browser, PHONE), (client, "Twitterbot/1.0")):
        assert browser.get(f"/r/{code}", headers={"User-Agent": user_agent}).status_code == 302

    assert clicks(app) == []  # nothing written on the redirect's path
    assert redis.llen(BUFFER_KEY) == 4
    with app.app_context():
        assert drain_clicks(batch_size=3) == 4

    stored = clicks(app)
    assert [(c.device, c.counted) for c in stored] == [("desktop", True), ("desktop", False), ("mobile", True), ("bot", False)]
    assert redis.llen(BUFFER_KEY) == 0


def clicks_link_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(ShareLink.id))


def _buffered(redis, count: int) -> bool:
    """The buffer holds ``count`` clicks: the redirect does not wait for Redis, so give it a moment."""
    deadline = time.monotonic() + 2
    while redis.llen(BUFFER_KEY) != count and time.monotonic() < deadline:
        time.sleep(0.01)
    return redis.llen(BUFFER_KEY) == count


def test_a_lost_redis_connection_is_counted_and_the_next_click_reconnects(client, app, redis, shop, monkeypatch, caplog):
    code = create_link(client, shop).get_json()["code"]
    client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})
    connection = app.extensions["click_appender"]._connection
    monkeypatch.setattr(connection, "send_packed_command", lambda *args: (_ for _ in ()).throw(RedisConnectionError("gone")))

    assert client.get(f"/r/{code}", headers={"User-Agent": DESKTOP}).status_code == 302

    monkeypatch.undo()
    # Within RETRY_SECONDS of the failure Redis is not tried: the click is counted at once.
    assert client.get(f"/r/{code}", headers={"User-Agent": DESKTOP}).status_code == 302
    failures = [r for r in caplog.records if getattr(r, "metric", None) == "click_record_failures"]
    assert [r.getMessage() for r in failures].count(f"click on link {clicks_link_id(app)} not recorded") == 2
    app.extensions["click_appender"]._retry_at = 0  # a second later
    assert client.get(f"/r/{code}", headers={"User-Agent": PHONE}).status_code == 302
    assert _buffered(redis, 2)  # the first click's, and this one


def test_at_exit_the_appender_waits_for_its_replies_then_disconnects(client, app, redis, shop):
    code = create_link(client, shop).get_json()["code"]
    for _ in range(3):
        client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})
    appender = app.extensions["click_appender"]

    appender.close()

    assert redis.llen(BUFFER_KEY) == 3
    if not isinstance(redis, fakeredis.FakeRedis):  # (fakeredis's replies are not readable without blocking)
        assert not appender._pending
    assert appender._connection._sock is None


def test_an_error_reply_is_read_later_logged_and_counted(client, app, redis, shop, caplog):
    if isinstance(redis, fakeredis.FakeRedis):
        pytest.skip("fakeredis's connections never report a reply as readable without blocking")
    code = create_link(client, shop).get_json()["code"]
    redis.set(BUFFER_KEY, "not a list")
    client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})  # refused: WRONGTYPE, not read yet
    redis.delete(BUFFER_KEY)
    time.sleep(0.1)

    assert client.get(f"/r/{code}", headers={"User-Agent": PHONE}).status_code == 302

    assert _buffered(redis, 1)
    [failure] = [r for r in caplog.records if getattr(r, "metric", None) == "click_record_failures"]
    assert "refused by Redis" in failure.getMessage() and failure.count == 1


def test_a_batch_stored_twice_adds_nothing(client, app, redis, shop, monkeypatch):
    """A drainer that dies between its commit and trimming the buffer: the next one re-reads the batch."""
    from marketplace.links import clicks as click_module

    code = create_link(client, shop).get_json()["code"]
    client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})
    monkeypatch.setattr(redis, "ltrim", lambda *args: (_ for _ in ()).throw(ConnectionError("drainer died")))
    with app.app_context(), pytest.raises(ConnectionError):
        click_module.drain_clicks()
    monkeypatch.undo()

    with app.app_context():
        assert click_module.drain_clicks() == 0  # re-read, already stored

    assert len(clicks(app)) == 1
    assert redis.llen(click_module.BUFFER_KEY) == 0


def test_repeat_is_judged_against_clicks_already_stored(client, app, redis, shop):
    from marketplace.links.clicks import drain_clicks

    code = create_link(client, shop).get_json()["code"]
    client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})
    with app.app_context():
        drain_clicks()
    client.get(f"/r/{code}", headers={"User-Agent": DESKTOP})
    with app.app_context():
        drain_clicks()

    assert [c.counted for c in clicks(app)] == [True, False]


# ------------------------------------------------ the redirect's rate limit (links/rate_limit.py)


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}, "headers": {"User-Agent": DESKTOP}}


def test_the_redirect_is_limited_per_address_on_both_paths_and_unknown_codes_count(client, app, shop, monkeypatch):
    """Without Redis the count is kept in the process: exact. The first request for the code goes
    through the Flask view, the next ones through the hot path (the code is cached)."""
    monkeypatch.setitem(app.config, "REDIRECT_RATE_LIMIT", "3 per minute")
    code = create_link(client, shop).get_json()["code"]

    answers = [client.get(f"/r/{code}", **_from("198.51.100.7")) for _ in range(4)]
    other_address = client.get(f"/r/{code}", **_from("198.51.100.8"))
    guesses = [client.get("/r/guess123", **_from("198.51.100.9")).status_code for _ in range(4)]

    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    refused = answers[-1]
    assert refused.get_json() == {"code": 429, "status": "Too Many Requests", "reason": "rate_limited",
                                  "message": "too many requests from this address; try again later"}
    assert refused.headers["Retry-After"] == "60" and "Set-Cookie" not in refused.headers
    assert other_address.status_code == 302
    assert len(clicks(app)) == 4  # three from the first address, one from the second: none for the 429
    assert guesses == [404, 404, 404, 429]


def test_with_redis_the_count_rides_with_the_click_and_refuses_within_a_few_requests(client, app, redis, shop,
                                                                                    monkeypatch):
    if isinstance(redis, fakeredis.FakeRedis):
        pytest.skip("fakeredis's connections never report a reply as readable without blocking")
    monkeypatch.setitem(app.config, "REDIRECT_RATE_LIMIT", "5 per minute")
    code = create_link(client, shop).get_json()["code"]

    statuses = []
    for _ in range(12):
        statuses.append(client.get(f"/r/{code}", **_from("198.51.100.7")).status_code)
        time.sleep(0.01)  # a reply takes this long at most on loopback: the overshoot is then nil

    admitted = statuses.count(302)
    assert statuses == [302] * admitted + [429] * (12 - admitted)
    assert 5 <= admitted <= 6, statuses  # the sixth is admitted when the fifth's count was not read yet
    assert _buffered(redis, admitted)  # a click for each 302, none for a 429
    [key] = redis.keys("marketplace:redirect-rate:*")
    assert "198.51.100.7" not in key.decode() and int(redis.get(key)) == admitted
    assert 0 < redis.ttl(key) <= 60
