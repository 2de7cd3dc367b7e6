"""Property: whatever sequence of adds, moves and removals, a storefront list keeps the
order a plain Python list would, with positions 0..n-1."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.one_of(st.none(), st.integers(0, 8))),
        st.tuples(st.just("move"), st.integers(0, 8), st.integers(0, 8)),
        st.tuples(st.just("remove"), st.integers(0, 8)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_items_keep_list_order_and_contiguous_positions(client, make, ops):
    brand = make.brand()
    products = iter([make.product(brand) for _ in ops])
    storefront = make.storefront()
    base = f"/api/v1/storefronts/{storefront['slug']}/items"
    headers = storefront["owner"].headers
    expected: list[int] = []  # item ids in order

    for op in ops:
        if op[0] == "add":
            body = {"product_id": next(products)["id"]} | ({} if op[1] is None else {"position": op[1]})
            item = client.post(base, json=body, headers=headers).get_json()
            expected.insert(len(expected) if op[1] is None else op[1], item["id"])
        elif expected and op[0] == "move":
            item_id = expected[op[1] % len(expected)]
            assert client.patch(f"{base}/{item_id}", json={"position": op[2]}, headers=headers).status_code == 200
            expected.remove(item_id)
            expected.insert(op[2], item_id)
        elif expected and op[0] == "remove":
            item_id = expected.pop(op[1] % len(expected))
            assert client.delete(f"{base}/{item_id}", headers=headers).status_code == 204

    view = client.get(f"/api/v1/storefronts/{storefront['slug']}").get_json()
    assert [item["id"] for item in view["items"]] == expected
    assert [item["position"] for item in view["items"]] == list(range(len(expected)))
