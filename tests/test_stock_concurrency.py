"""Shoppers racing for the last units: never an oversell (run on PostgreSQL in CI)."""

import threading

API = "/api/v1"


def test_concurrent_orders_for_last_units_never_oversell(app, client, make):
    brand = make.brand()
    product = make.product(brand, stock=3)
    storefront = make.storefront()
    make.item(storefront, product)
    shoppers = 10
    barrier = threading.Barrier(shoppers)
    results = []

    def order_one():
        local = app.test_client()
        barrier.wait()
        response = local.post(
            f"{API}/orders",
            json={
                "storefront": storefront["slug"],
                "items": [{"product_id": product["id"], "quantity": 1}],
                "email": "racer@example.com",
            },
        )
        results.append((response.status_code, (response.get_json() or {}).get("reason")))

    threads = [threading.Thread(target=order_one) for _ in range(shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(results, key=str) == sorted([(201, None)] * 3 + [(409, "insufficient_stock")] * 7, key=str)
    body = client.get(f"{API}/products/{product['id']}", headers=brand["owner"].headers).get_json()
    assert (body["stock"], body["reserved"], body["available"]) == (3, 3, 0)
