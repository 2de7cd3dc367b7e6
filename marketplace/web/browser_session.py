"""What the pages keep in the browser's session (Flask's signed cookie): one cart per storefront,
the access tokens of the orders placed in this browser, the share link that brought the
visitor to each storefront, and the sign-in token of the privacy page.

Nothing here decides prices, stock or who may see what: the services do, when the cart
becomes an order.
"""

from __future__ import annotations

from flask import session

from marketplace.orders.schemas import MAX_LINES, MAX_QUANTITY

CARTS, ORDERS, VIA, SIGN_IN = "carts", "orders", "via", "sign_in"


def cart(slug: str) -> dict[int, int]:
    """Product id → quantity in this browser's cart for the storefront."""
    return {int(product_id): quantity for product_id, quantity in session.get(CARTS, {}).get(slug, {}).items()}


def _save_cart(slug: str, lines: dict[int, int]) -> None:
    carts = dict(session.get(CARTS, {}))
    if lines:
        carts[slug] = {str(product_id): quantity for product_id, quantity in lines.items()}
    else:
        carts.pop(slug, None)
    session[CARTS] = carts


def add_to_cart(slug: str, product_id: int, quantity: int) -> None:
    lines = cart(slug)
    if product_id not in lines and len(lines) >= MAX_LINES:
        return
    lines[product_id] = min(lines.get(product_id, 0) + quantity, MAX_QUANTITY)
    _save_cart(slug, lines)


def set_quantity(slug: str, product_id: int, quantity: int) -> None:
    """Change a line's quantity; 0 removes it."""
    lines = cart(slug)
    if quantity <= 0:
        lines.pop(product_id, None)
    elif product_id in lines:
        lines[product_id] = min(quantity, MAX_QUANTITY)
    _save_cart(slug, lines)


def empty_cart(slug: str) -> None:
    _save_cart(slug, {})


def cart_size(slug: str) -> int:
    return sum(cart(slug).values())


def remember_order(order_id: int, access_token: str) -> None:
    session[ORDERS] = {**session.get(ORDERS, {}), str(order_id): access_token}


def order_token(order_id: int) -> str | None:
    return session.get(ORDERS, {}).get(str(order_id))


def remember_via(slug: str, code: str) -> None:
    session[VIA] = {**session.get(VIA, {}), slug: code}


def via(slug: str) -> str | None:
    return session.get(VIA, {}).get(slug)


def remember_sign_in(bearer_token: str) -> None:
    session[SIGN_IN] = bearer_token


def sign_in_token() -> str | None:
    return session.get(SIGN_IN)


def forget_sign_in() -> None:
    session.pop(SIGN_IN, None)


def forget_everything() -> None:
    session.clear()
