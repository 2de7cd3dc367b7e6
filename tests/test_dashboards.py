"""The influencer's and the brand's dashboards through Flask's test client: who may open them,
what they show (the same figures as the API), and that their forms change what the API sees,
with errors said on the page and nothing changed."""

from __future__ import annotations

import html
import re

import pytest

from marketplace.money import format_money
from tests.conftest import PASSWORD
from tests.test_reports import BROWSER, PERIOD, buy, shop, shopper, story  # noqa: F401  (fixtures: a brand, two influencers, four orders)

API = "/api/v1"


def _csrf(browser, path: str = "/account/sign-in") -> str:
    page = browser.get(path, follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def signed_in(app, actor, next_page: str | None = None):
    """A browser signed in as ``actor`` through the sign-in page; the response is kept on it."""
    browser = app.test_client()
    form = {"email": actor.email, "password": PASSWORD, "csrf_token": _csrf(browser)}
    if next_page:
        form["next"] = next_page
    browser.signed_in = browser.post("/account/sign-in", data=form)
    return browser


def post(browser, path: str, form: dict, page: str):
    """Post a dashboard form (with the CSRF token of ``page``) and follow it back to the page."""
    return browser.post(path, data={"csrf_token": _csrf(browser, page), **form}, follow_redirects=True)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# ---------------------------------------------------------------- access


def test_sign_in_takes_each_role_to_its_dashboard_and_only_to_a_page_of_this_site(app, make):
    brand = make.brand()
    assert signed_in(app, make.influencer()).signed_in.location == "/dashboard"
    assert signed_in(app, brand["owner"]).signed_in.location == f"/dashboard/brands/{brand['id']}"  # their one brand
    make.brand(brand["owner"])
    assert signed_in(app, brand["owner"]).signed_in.location == "/dashboard/brands"  # the list of their two
    assert signed_in(app, make.actor("shopper")).signed_in.location == "/account/privacy"
    assert signed_in(app, make.influencer(), next_page="/dashboard/links").signed_in.location == "/dashboard/links"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert signed_in(app, make.influencer(), next_page=elsewhere).signed_in.location == "/dashboard"


def test_the_brand_list_links_each_brand_of_the_member(app, make):
    brand, other = make.brand(name="Northwind"), make.brand(name="Fernhill")
    make.brand(name="Not theirs")
    browser = signed_in(app, brand["owner"])
    browser.post(f"{API}/brands/{other['id']}/members", json={"email": brand["owner"].email}, headers=other["owner"].headers)
    page = text(browser.get("/dashboard/brands"))
    assert f'href="/dashboard/brands/{brand["id"]}">Northwind' in page and f'href="/dashboard/brands/{other["id"]}">Fernhill' in page
    assert "Not theirs" not in page


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/links", "/dashboard/brands", "/dashboard/brands/1/reports"])
def test_the_signed_out_are_sent_to_sign_in_and_back(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location == f"/account/sign-in?next={path}"


def test_each_role_opens_only_its_own_dashboard(app, make):
    brand, other_brand = make.brand(), make.brand()
    influencer = make.influencer()
    as_brand, as_influencer = signed_in(app, brand["owner"]), signed_in(app, influencer)

    assert as_brand.get("/dashboard").status_code == 403
    assert as_influencer.get(f"/dashboard/brands/{brand['id']}").status_code == 403
    for path in ("", "/reports", "/orders", "/influencers", "/reports/attribution.csv", "/reports/revenue.svg"):
        assert as_brand.get(f"/dashboard/brands/{other_brand['id']}{path}").status_code == 403, path
    refused = post(as_brand, f"/dashboard/brands/{other_brand['id']}/products",
                   {"title": "Mine now", "sku": "X", "price": "1", "currency": "USD", "stock": "1"}, "/dashboard/brands")
    assert refused.status_code == 403
    assert make.client.get(f"{API}/brands/{other_brand['id']}/products").get_json()["items"] == []


def test_signing_out_ends_the_dashboard(app, make):
    browser = signed_in(app, make.influencer())
    post(browser, "/account/sign-out", {}, "/dashboard")
    assert browser.get("/dashboard").status_code == 302


# ---------------------------------------------------------------- influencer


def test_an_influencer_without_a_profile_creates_one_first(app, make, client):
    actor = make.actor("influencer")
    browser = signed_in(app, actor)
    assert "Your influencer profile" in text(browser.get("/dashboard"))

    refused = post(browser, "/dashboard/profile", {"handle": "x", "display_name": ""}, "/dashboard")
    assert "Please check the form." in text(refused) and "display_name" in text(refused)
    page = post(browser, "/dashboard/profile", {"handle": "maya", "display_name": "Maya O"}, "/dashboard")

    assert "Your profile is saved." in text(page) and "Hello, Maya O" in text(page)
    assert client.get(f"{API}/me/influencer", headers=actor.headers).get_json()["handle"] == "maya"


def test_the_influencer_sees_earnings_performance_and_relationships(app, client, story):
    ana = story["ana"]
    browser = signed_in(app, ana["actor"])
    page = text(browser.get("/dashboard", query_string=PERIOD))

    balance = client.get(f"{API}/me/balance", headers=ana["actor"].headers).get_json()[0]
    assert balance["pending"] > 0
    assert f'<td class="pending">{format_money(balance["pending"], "USD")}</td>' in page
    performance = client.get(f"{API}/me/reports/performance", query_string=PERIOD, headers=ana["actor"].headers).get_json()
    total = performance["total"]
    assert re.search(rf'<tr id="performance-total"><th scope="row">Total</th><td>{total["clicks"]}</td><td>{total["orders"]}</td>\s*'
                     rf'<td>{re.escape(format_money(total["revenue"], "USD"))}</td>', page)
    assert "Nothing approved to pay yet. Payouts run every day at 06:30 UTC." in page  # all pending: the hold runs
    # ana first brought one shopper (Alice) to the brand; Bob's first order went to cy under last click
    assert f'<tr><th scope="row">{story["brand"]["name"]}</th><td>1</td>' in page
    chart = browser.get("/dashboard/performance.svg", query_string=PERIOD)
    assert chart.mimetype == "image/svg+xml" and b"Your revenue and earnings by day" in chart.data


def _storefront(client, slug):
    return client.get(f"{API}/storefronts/{slug}").get_json()


def test_curating_adds_notes_orders_and_removes_items(app, client, make):
    brand = make.brand(name="Northwind")
    pan = make.product(brand, title="Carbon pan")
    knife = make.product(brand, title="Chef knife")
    storefront = make.storefront(title="Maya's kitchen")
    slug = storefront["slug"]
    collection = make.collection(storefront, name="Essentials")
    browser = signed_in(app, storefront["owner"])
    curate = f"/dashboard/storefronts/{slug}"

    found = text(browser.get(curate, query_string={"q": "carbon"}))
    assert "Carbon pan" in found and "Chef knife" not in found
    added = post(browser, f"{curate}/items", {"product_id": pan["id"], "note": "Eggs every morning", "collection": collection["id"]}, curate)
    assert "Carbon pan added to your storefront." in text(added)
    post(browser, f"{curate}/items", {"product_id": knife["id"], "collection": collection["id"]}, curate)
    twice = post(browser, f"{curate}/items", {"product_id": pan["id"], "collection": collection["id"]}, curate)
    assert "already in this list" in text(twice)

    items = _storefront(client, slug)["collections"][0]["items"]
    assert [(i["product"]["title"], i["note"]) for i in items] == [("Carbon pan", "Eggs every morning"), ("Chef knife", "")]
    knife_item = items[1]["id"]
    post(browser, f"{curate}/items/{knife_item}/move", {"direction": "up"}, curate)
    assert [i["product"]["title"] for i in _storefront(client, slug)["collections"][0]["items"]] == ["Chef knife", "Carbon pan"]
    post(browser, f"{curate}/items/{knife_item}", {"note": "Sharp", "collection": ""}, curate)
    view = _storefront(client, slug)
    assert [(i["product"]["title"], i["note"]) for i in view["items"]] == [("Chef knife", "Sharp")]
    post(browser, f"{curate}/items/{knife_item}/remove", {}, curate)
    assert _storefront(client, slug)["items"] == []

    post(browser, f"{curate}/collections", {"name": "Gifts"}, curate)
    gifts = _storefront(client, slug)["collections"][1]
    post(browser, f"{curate}/collections/{gifts['id']}/move", {"direction": "up"}, curate)
    assert [c["name"] for c in _storefront(client, slug)["collections"]] == ["Gifts", "Essentials"]


def test_someone_elses_storefront_cannot_be_curated(app, client, make):
    theirs = make.storefront()
    product = make.product(make.brand())
    browser = signed_in(app, make.influencer())
    curate = f"/dashboard/storefronts/{theirs['slug']}"
    assert browser.get(curate).status_code == 403
    token = _csrf(browser, "/dashboard")
    for path, form in ((f"{curate}/items", {"product_id": product["id"]}), (f"{curate}/collections", {"name": "Mine"})):
        assert browser.post(path, data={"csrf_token": token, **form}).status_code == 403, path
    view = _storefront(client, theirs["slug"])
    assert (view["items"], view["collections"]) == ([], [])


def test_share_links_are_made_per_channel_listed_and_offered_to_copy(app, client, make):
    storefront = make.storefront(title="Maya's kitchen")
    collection = make.collection(storefront, name="Essentials")
    browser = signed_in(app, storefront["owner"])

    made = text(post(browser, "/dashboard/links", {"storefront": storefront["slug"], "target": f"collection:{collection['id']}",
                                                   "channel": "pinterest", "campaign": "fall"}, "/dashboard/links"))
    links = client.get(f"{API}/links", headers=storefront["owner"].headers).get_json()["items"]
    assert [(link["channel"], link["campaign"], link["collection_id"]) for link in links] == [("pinterest", "fall", collection["id"])]
    assert f'id="new-link-url" type="url" value="{links[0]["url"]}" readonly' in made
    assert 'data-copy-from="new-link-url">Copy link</button>' in made
    assert f'data-copy-from="url-{links[0]["code"]}"' in made

    refused = text(post(browser, "/dashboard/links", {"storefront": storefront["slug"], "channel": "fax"}, "/dashboard/links"))
    assert "Please check the form. channel:" in refused
    assert len(client.get(f"{API}/links", headers=storefront["owner"].headers).get_json()["items"]) == 1


# ---------------------------------------------------------------- brand


def test_a_brand_adds_products_in_major_units_and_manages_stock(app, client, make):
    brand = make.brand(name="Northwind")
    browser = signed_in(app, brand["owner"])
    products = f"/dashboard/brands/{brand['id']}"

    added = text(post(browser, f"{products}/products", {"title": "Carbon pan", "sku": "PAN", "price": "49.90",
                                                        "currency": "USD", "stock": "5", "commission": "12.5"}, products))
    assert "Carbon pan is in your catalog." in added
    [pan] = client.get(f"{API}/brands/{brand['id']}/products").get_json()["items"]
    assert (pan["price"], pan["stock"], pan["commission_bps"]) == (4990, 5, 1250)
    assert f'id="price-{pan["id"]}" name="price" type="text" inputmode="decimal" size="8" value="49.90"' in added

    for price, stock in (("49.999", "5"), ("free", "5"), ("50", "-1")):
        refused = text(post(browser, f"{products}/products/{pan['id']}", {"price": price, "stock": stock}, products))
        assert "Please check the form." in refused and ("price" in refused or "stock" in refused)
    post(browser, f"{products}/products/{pan['id']}", {"price": "45", "stock": "9"}, products)
    assert client.get(f"{API}/products/{pan['id']}").get_json()[("price")] == 4500
    post(browser, f"{products}/products/{pan['id']}", {"active": "no"}, products)
    assert client.get(f"{API}/products/{pan['id']}").status_code == 404  # off sale: hidden from shoppers
    post(browser, f"{products}/products/{pan['id']}", {"active": "yes"}, products)
    assert client.get(f"{API}/products/{pan['id']}").get_json()["stock"] == 9


def test_a_brand_sets_an_influencers_rate_keeping_product_rates(app, client, make):
    brand = make.brand(name="Northwind")
    pan = make.product(brand, title="Carbon pan")
    storefront = make.storefront(title="Maya's kitchen")
    make.item(storefront, pan)
    influencer_id = client.get(f"{API}/me/influencer", headers=storefront["owner"].headers).get_json()["id"]
    terms_url = f"{API}/brands/{brand['id']}/influencers/{influencer_id}/terms"
    client.put(terms_url, json={"commission_bps": 1000, "product_rates": [{"product_id": pan["id"], "commission_bps": 2000}]},
               headers=brand["owner"].headers)
    browser = signed_in(app, brand["owner"])
    page = f"/dashboard/brands/{brand['id']}/influencers"
    assert "A Creator" in text(browser.get(page))

    post(browser, f"{page}/{influencer_id}/terms", {"commission": "15"}, page)
    terms = client.get(terms_url, headers=brand["owner"].headers).get_json()
    assert terms["commission_bps"] == 1500 and terms["product_rates"] == [{"product_id": pan["id"], "commission_bps": 2000}]
    refused = text(post(browser, f"{page}/{influencer_id}/terms", {"commission": "lots"}, page))
    assert "Please check the form. commission_bps:" in refused
    post(browser, f"{page}/{influencer_id}/terms", {"commission": ""}, page)
    assert client.get(terms_url, headers=brand["owner"].headers).get_json()["commission_bps"] is None


def test_the_brand_reports_page_shows_the_apis_figures_with_charts_and_csv(app, client, story):
    brand = story["brand"]
    browser = signed_in(app, brand["owner"])
    base = f"/dashboard/brands/{brand['id']}/reports"
    api_report = client.get(f"{API}/brands/{brand['id']}/reports/attribution", query_string=PERIOD,
                            headers=brand["owner"].headers).get_json()

    page = text(browser.get(base, query_string=PERIOD))
    for row in api_report["rows"]:
        assert re.search(rf'<tr><th scope="row">{row["label"]}</th><td>{row["clicks"]}</td>.*?'
                         rf'<td>{re.escape(format_money(row["revenue"], "USD"))}</td>', page, re.S), row["label"]
    assert "Organic (no referral)" in page and "Return on Relationship" in page
    linear = text(browser.get(base, query_string={**PERIOD, "model": "linear"}))
    assert "as linear would credit it" in linear and "estimated at each influencer" in linear

    dashboard_csv = browser.get(f"{base}/attribution.csv", query_string=PERIOD)
    api_csv = client.get(f"{API}/brands/{brand['id']}/reports/attribution", query_string={**PERIOD, "format": "csv"},
                         headers=brand["owner"].headers)
    assert dashboard_csv.mimetype == "text/csv" and dashboard_csv.data == api_csv.data
    assert browser.get(f"{base}/relationships.csv", query_string=PERIOD).mimetype == "text/csv"
    for chart in ("revenue.svg", "cohorts.svg"):
        assert browser.get(f"{base}/{chart}", query_string=PERIOD).mimetype == "image/svg+xml"


def test_a_bad_report_choice_is_said_and_reset(app, story):
    browser = signed_in(app, story["brand"]["owner"])
    page = browser.get(f"/dashboard/brands/{story['brand']['id']}/reports", query_string={"group_by": "planet", "from": "soon"})
    assert page.status_code == 200
    assert "Some choices were not understood and were reset: from, group_by." in text(page)


def test_the_brand_sees_its_orders_lines_and_refunds_only(app, client, make, story):
    brand = story["brand"]
    other = make.brand()
    theirs = make.product(other, title="Someone else's mug")
    make.item(story["ana"]["storefront"], theirs)
    buyer = shopper(app)
    buyer.get(f"/r/{story['ana']['link']['code']}", headers=BROWSER)
    buy(app, buyer, story["ana"]["storefront"], [(story["p1"], 1), (theirs, 1)], "dana@example.com")
    browser = signed_in(app, brand["owner"])

    page = text(browser.get(f"/dashboard/brands/{brand['id']}/orders"))
    assert "Someone else's mug" not in page
    assert page.count('class="brand-order"') == 5
    assert "Refund" in page and "returned" in page and "(1 returned)" in page
