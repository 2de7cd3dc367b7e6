"""End to end in headless Chromium (Debian's ``chromium``, driven by Playwright) against the app
served on loopback with localstripe: a shopper follows a share link, fills a cart, pays with a
test card and sees the confirmation; a declined card; phone width, keyboard and accessibility
smoke checks. Any error in the browser console fails the test. Screenshots of each step go to
``tests/artifacts/<test>/``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
API = "/api/v1"
VISA = "4242424242424242"
DECLINED = "4000000000000341"  # localstripe declines it when charged (4000000000000002 only when attached to a customer)

pytestmark = pytest.mark.browser

# Every form control has a label, every image a text alternative, every button and link a name.
ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('the page has no lang');
  for (const control of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset'].includes(control.type)) continue;
    const named = (control.labels && control.labels.length) || control.getAttribute('aria-label')
      || control.getAttribute('aria-labelledby');
    if (!named) problems.push('unlabelled control: ' + control.outerHTML);
  }
  for (const image of document.querySelectorAll('img')) {
    if (!image.hasAttribute('alt')) problems.push('image without alt: ' + image.outerHTML);
  }
  for (const element of document.querySelectorAll('button, a[href]')) {
    if (!element.textContent.trim() && !element.getAttribute('aria-label')) problems.push('unnamed: ' + element.outerHTML);
  }
  return problems;
}"""


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Shopper:
    """One browser tab that records console errors and saves numbered screenshots."""

    def __init__(self, page, folder: Path):
        self.page = page
        self.folder = folder
        self.console_errors: list[str] = []
        self._shots = 0
        self.watch(page)

    def watch(self, page) -> None:
        """Record the console errors of ``page`` too (another person's tab in the same test)."""
        page.on("console", lambda message: self.console_errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def screenshot(self, step: str, page=None) -> None:
        self._shots += 1
        (page or self.page).screenshot(path=str(self.folder / f"{self._shots:02d}-{step}.png"), full_page=True)

    def assert_accessible(self, page=None) -> None:
        page = page or self.page
        assert page.evaluate(ACCESSIBILITY_PROBLEMS) == [], page.url


# Headless Chromium says "HeadlessChrome" in its User-Agent, which the click recorder rightly
# counts as a bot and never credits: the shopper's tabs present the desktop Chrome people use.
PEOPLES_CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36")


def _open_tab(browser, request, **context_options):
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    context = browser.new_context(user_agent=PEOPLES_CHROME, **context_options)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    return context, Shopper(context.new_page(), folder)


@pytest.fixture
def shopper(browser, request, live_server):
    context, tab = _open_tab(browser, request, viewport={"width": 1280, "height": 900}, base_url=live_server)
    yield tab
    context.close()
    assert tab.console_errors == [], "errors in the browser console"


@pytest.fixture
def phone(browser, request, live_server):
    context, tab = _open_tab(browser, request, viewport={"width": 390, "height": 844}, is_mobile=True,
                             has_touch=True, base_url=live_server)
    yield tab
    context.close()
    assert tab.console_errors == [], "errors in the browser console"


@pytest.fixture
def shop(client, make):
    """Maya's storefront: a collection with a pan and a knife, a loose book; and her share link."""
    brand = make.brand(name="Northwind Kitchen")
    pan = make.product(brand, title="Carbon steel pan", price=4900, stock=5)
    knife = make.product(brand, title="Chef's knife", price=12900, stock=3)
    book = make.product(brand, title="Slow Bread", price=3200, stock=4)
    owner = make.influencer()
    profile = {"handle": "mayacooks", "display_name": "Maya Okafor", "bio": "Home cook and recipe writer.",
               "socials": [{"channel": "instagram", "url": "https://instagram.com/mayacooks", "followers": 48200}]}
    assert client.put(f"{API}/me/influencer", json=profile, headers=owner.headers).status_code == 200
    storefront = make.storefront(owner, title="Maya's kitchen")
    collection = make.collection(storefront, name="Everyday essentials")
    make.item(storefront, pan, note="The pan I cook eggs in every morning.", collection=collection["id"])
    make.item(storefront, knife, note="The best present I ever got myself.", collection=collection["id"])
    book_item = make.item(storefront, book, note="For the friend who asks about my starter.")
    link = client.post(f"{API}/links", json={"storefront": storefront["slug"], "channel": "instagram"},
                       headers=owner.headers).get_json()
    return {"slug": storefront["slug"], "link": link, "book_item": book_item, "products": (pan, knife, book),
            "brand": brand, "influencer": owner, "collection": collection}


def _order_id(page) -> int:
    return int(re.search(r"/orders/(\d+)", page.url).group(1))


def _order_status(client, order_id: int, token: str) -> str:
    return client.get(f"{API}/orders/{order_id}", query_string={"token": token}).get_json()["status"]


def _fill_card(page, number: str) -> None:
    card = page.locator("#card-element")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10001")


def _checkout(tab: Shopper, email: str) -> None:
    page = tab.page
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    page.get_by_label("Email").fill(email)
    tab.assert_accessible()
    tab.screenshot("cart")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(r"/orders/\d+/pay$"))
    page.locator("#card-element input").first.wait_for()
    tab.assert_accessible()


def test_shopper_follows_a_share_link_buys_two_items_and_sees_the_confirmation(shopper, shop, client, live_server):
    page = shopper.page
    page.goto(f"/r/{shop['link']['code']}")
    assert page.url == f"{live_server}/s/{shop['slug']}?via={shop['link']['code']}"
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Maya's kitchen"
    assert page.get_by_text("Maya Okafor may earn a commission on purchases made through this storefront.").is_visible()
    assert page.get_by_text("The pan I cook eggs in every morning.").is_visible()
    shopper.assert_accessible()
    shopper.screenshot("storefront-from-share-link")

    page.get_by_role("button", name="Add Carbon steel pan to cart").click()
    assert page.get_by_role("status").get_by_text("Added Carbon steel pan to your cart.").is_visible()
    page.get_by_role("link", name="Slow Bread").click()
    page.wait_for_url(f"**/s/{shop['slug']}/p/{shop['book_item']['id']}")
    shopper.assert_accessible()
    shopper.screenshot("item-page")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add Slow Bread to cart").click()
    assert "(3 items)" in page.get_by_role("link", name=re.compile(r"^Cart")).inner_text()

    page.get_by_role("button", name="Get a link to share").click()
    share_url = page.get_by_label("Your link to share").input_value()
    assert re.fullmatch(rf"{live_server}/r/[\w-]{{8}}", share_url) and not share_url.endswith(shop["link"]["code"])
    page.get_by_role("button", name="Copy link").click()
    page.get_by_text("Link copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == share_url
    shopper.screenshot("share-link")

    _checkout(shopper, "reader@example.com")
    order_id = _order_id(page)
    assert page.get_by_role("button", name="Pay $113.00").is_visible()  # 49.00 + 2 × 32.00
    _fill_card(page, VISA)
    shopper.screenshot("payment")
    page.get_by_role("button", name="Pay $113.00").click()

    page.wait_for_url(re.compile(rf"/orders/{order_id}\?after=payment$"))
    page.locator("#order-status", has_text="Paid").wait_for(timeout=15_000)
    assert page.get_by_role("heading", level=1).inner_text() == f"Thank you: order {order_id} is paid"
    follow_url = page.get_by_label("Your order's link").input_value()
    shopper.assert_accessible()
    shopper.screenshot("confirmation")

    token = re.search(r"token=(ord_[\w-]+)", follow_url).group(1)
    order = client.get(f"{API}/orders/{order_id}", query_string={"token": token}).get_json()
    assert order["status"] == "paid"
    assert [(line["title"], line["quantity"]) for line in order["lines"]] == [("Carbon steel pan", 1), ("Slow Bread", 2)]
    assert order["email"] == "reader@example.com"
    # The follow link opens the order in a browser that never placed it.
    other = page.context.browser.new_context()
    try:
        elsewhere = other.new_page()
        elsewhere.goto(follow_url)
        assert elsewhere.locator("#order-status").inner_text() == "Paid"
    finally:
        other.close()

    # The brand's report credits the sale to Maya; Maya's dashboard shows her pending commission.
    brand_tab = _sign_in_elsewhere(page, shopper, live_server, shop["brand"]["owner"])
    brand_tab.get_by_role("link", name="Reports").click()
    credited = brand_tab.locator("#attribution-table tbody tr", has_text="mayacooks")
    assert "$113.00" in credited.inner_text()  # the whole order: the pan and two books
    assert "$113.00" in brand_tab.locator("#attribution-table tfoot tr", has_text="Attributed").inner_text()
    brand_tab.get_by_label("Attribution model").select_option("linear")
    brand_tab.get_by_role("button", name="Show").click()
    brand_tab.get_by_role("heading", name="Attribution, as linear would credit it").wait_for()
    shopper.assert_accessible(brand_tab)
    shopper.screenshot("brand-report", brand_tab)

    maya_tab = _sign_in_elsewhere(page, shopper, live_server, shop["influencer"])
    commission = maya_tab.locator("#balance-USD .pending").inner_text()
    assert commission == "$11.30"  # the brand's 10 % default on $113.00, pending while returns are open
    assert "pending" in maya_tab.locator(".commission-line .state").first.inner_text()
    shopper.assert_accessible(maya_tab)
    shopper.screenshot("influencer-dashboard", maya_tab)


def _sign_in_elsewhere(page, tab: Shopper, live_server: str, actor, viewport=None):
    """A new browser (its own cookies) signed in as ``actor`` on the sign-in page, on their dashboard."""
    context = page.context.browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, base_url=live_server)
    other = context.new_page()
    tab.watch(other)
    other.goto("/account/sign-in")
    other.get_by_label("Email").fill(actor.email)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url(re.compile(r"/dashboard"))
    return other


def test_a_declined_card_says_so_and_leaves_the_order_unpaid(shopper, shop, client):
    page = shopper.page
    page.goto(f"/s/{shop['slug']}")
    page.get_by_role("button", name="Add Chef's knife to cart").click()
    _checkout(shopper, "declined@example.com")
    order_id = _order_id(page)
    _fill_card(page, DECLINED)
    page.get_by_role("button", name="Pay $129.00").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Your card was declined." in alert.inner_text()
    assert "The order is not paid" in alert.inner_text()
    assert page.get_by_role("button", name="Pay $129.00").is_enabled()  # another card can be tried
    shopper.screenshot("declined")

    page.goto(f"/orders/{order_id}")
    token = re.search(r"token=(ord_[\w-]+)", page.get_by_label("Your order's link").input_value()).group(1)
    deadline = time.monotonic() + 15
    while _order_status(client, order_id, token) == "pending_payment" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _order_status(client, order_id, token) == "payment_failed"
    page.reload()
    assert page.locator("#order-status").inner_text() == "Payment failed: not paid"
    shopper.screenshot("order-unpaid")


def test_storefront_fits_a_phone_and_works_with_the_keyboard(phone, shop):
    page = phone.page
    page.goto(f"/s/{shop['slug']}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot("phone-storefront")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Add Carbon steel pan to cart":
            break
    else:
        pytest.fail("the add-to-cart button cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.get_by_role("status").get_by_text("Added Carbon steel pan to your cart.").wait_for()
    assert "(1 item)" in page.get_by_role("link", name=re.compile(r"^Cart")).inner_text()
    phone.screenshot("phone-added-with-keyboard")


def test_follow_sign_in_and_privacy_pages_are_labelled(shopper, make, live_server):
    page = shopper.page
    make.actor("shopper", email="ada@example.com")
    page.goto("/orders")
    shopper.assert_accessible()
    page.goto("/account/privacy")
    assert page.url == f"{live_server}/account/sign-in?next=/account/privacy"
    shopper.assert_accessible()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/privacy")
    shopper.assert_accessible()
    shopper.screenshot("privacy")
    page.get_by_label("I want my account deleted and my personal data erased").check()
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url("**/account/sign-in")
    assert page.get_by_text("Your account is deleted").is_visible()


def test_dashboards_fit_a_phone_are_labelled_and_work_with_the_keyboard(phone, shop, live_server):
    page = phone.page
    signed_in = _sign_in_elsewhere(page, phone, live_server, shop["influencer"], viewport={"width": 390, "height": 844})
    for path in ("/dashboard", "/dashboard/links", f"/dashboard/storefronts/{shop['slug']}"):
        signed_in.goto(path)
        assert signed_in.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        phone.assert_accessible(signed_in)
    phone.screenshot("phone-curate", signed_in)

    # Move the knife above the pan with the keyboard alone: Tab to its button, Enter.
    for _ in range(80):
        signed_in.keyboard.press("Tab")
        if signed_in.evaluate("document.activeElement.getAttribute('aria-label')") == "Move up Chef's knife":
            break
    else:
        pytest.fail("the knife's Move up button cannot be reached with Tab")
    signed_in.keyboard.press("Enter")
    signed_in.get_by_role("status").get_by_text("Moved Chef's knife.").wait_for()
    titles = signed_in.locator(f"#collection-{shop['collection']['id']} .curated-head strong").all_inner_texts()
    assert titles == ["Chef's knife", "Carbon steel pan"]

    brand = _sign_in_elsewhere(page, phone, live_server, shop["brand"]["owner"], viewport={"width": 390, "height": 844})
    for name in ("Reports", "Influencers and terms", "Orders", "Products"):
        brand.get_by_role("link", name=name).click()
        brand.wait_for_load_state()
        assert brand.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        phone.assert_accessible(brand)
    phone.screenshot("phone-brand-products", brand)
