"""Splitting money exactly (``money.allocate``) and reading amounts people type (``parse_major``)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.money import allocate, parse_major


@given(amount=st.integers(-10**9, 10**9), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_parts_add_up_exactly_and_stay_within_one_unit_of_their_share(amount, weights):
    parts = allocate(amount, weights)

    total = sum(weights)
    if total == 0:
        assert parts == [0] * len(weights)
        return
    assert sum(parts) == amount
    for part, weight in zip(parts, weights):
        assert abs(part * total - amount * weight) < total  # |part - exact share| < 1
        assert weight or part == 0


def test_rounding_goes_to_the_largest_remainders_then_to_the_earlier_part():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [2, 5, 3]) == [2, 5, 3]
    assert allocate(1, [333_333, 333_334, 333_333]) == [0, 1, 0]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("49", "USD", 4900), ("49.9", "USD", 4990), ("1,299.00", "USD", 129900), (" 0.01 ", "USD", 1), ("500", "JPY", 500),
])
def test_parse_major_reads_amounts_people_type(text, currency, minor):
    assert parse_major(text, currency) == minor


@pytest.mark.parametrize(("text", "currency"), [
    ("", "USD"), ("abc", "USD"), ("-1", "USD"), ("0.001", "USD"), ("1.5", "JPY"), ("NaN", "USD"), ("Infinity", "USD"),
])
def test_parse_major_refuses_what_is_not_an_amount_of_the_currency(text, currency):
    with pytest.raises(ValueError):
        parse_major(text, currency)
