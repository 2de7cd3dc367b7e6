"""The five attribution models on hand-computed cases, and their invariants (hypothesis)."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.attribution.rules import MODELS, PPM, Touchpoint, model_shares, split

NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
WEEK = timedelta(days=7)


def tp(influencer_id, days_ago):
    return Touchpoint(influencer_id, NOW - timedelta(days=days_ago))


ONE = [tp(1, 2)]
THREE_OF_TWO = [tp(1, 10), tp(2, 3), tp(1, 1)]
FOUR_OF_THREE = [tp(1, 10), tp(2, 3), tp(1, 1), tp(3, 0)]


@pytest.mark.parametrize("model", MODELS)
def test_single_click_takes_everything(model):
    assert split(model, ONE, NOW, WEEK) == {1: PPM}


@pytest.mark.parametrize("model", MODELS)
def test_no_click_credits_no_one(model):
    assert split(model, [], NOW, WEEK) == {}


@pytest.mark.parametrize(
    "model, touchpoints, expected",
    [
        ("last_click", THREE_OF_TWO, {1: PPM}),
        ("first_click", THREE_OF_TWO, {1: PPM}),
        ("last_click", FOUR_OF_THREE, {3: PPM}),
        ("first_click", FOUR_OF_THREE, {1: PPM}),
        ("linear", THREE_OF_TWO, {1: 666_667, 2: 333_333}),
        ("linear", FOUR_OF_THREE, {1: 500_000, 2: 250_000, 3: 250_000}),
        # 40 % first, 40 % last, 20 % shared by the two in the middle
        ("position_based", FOUR_OF_THREE, {1: 500_000, 2: 100_000, 3: 400_000}),
        ("position_based", [tp(1, 3), tp(2, 1)], {1: 500_000, 2: 500_000}),
        ("position_based", THREE_OF_TWO, {1: 800_000, 2: 200_000}),
    ],
)
def test_models_on_hand_computed_cases(model, touchpoints, expected):
    assert split(model, touchpoints, NOW, WEEK) == expected


def test_time_decay_halves_weight_every_half_life():
    # weights 1/2 (7 days ago) and 1 (now): two thirds to the recent click
    assert split("time_decay", [tp(1, 7), tp(2, 0)], NOW, WEEK) == {1: 333_333, 2: 666_667}
    # the same click, 14 days ago, weighs a quarter: 1/5 and 4/5
    assert split("time_decay", [tp(1, 14), tp(2, 0)], NOW, WEEK) == {1: 200_000, 2: 800_000}


def test_touchpoint_order_does_not_matter():
    assert split("position_based", list(reversed(FOUR_OF_THREE)), NOW, WEEK) == split("position_based", FOUR_OF_THREE, NOW, WEEK)


touchpoint_lists = st.lists(
    st.builds(tp, st.integers(1, 4), st.floats(min_value=0, max_value=60, allow_nan=False)), min_size=1, max_size=12
)


@given(touchpoints=touchpoint_lists, model=st.sampled_from(MODELS))
def test_shares_are_fractions_that_sum_to_one(touchpoints, model):
    shares = split(model, touchpoints, NOW, WEEK)

    assert sum(shares.values()) == PPM
    assert all(0 < ppm <= PPM for ppm in shares.values())
    assert set(shares) <= {t.influencer_id for t in touchpoints}


@given(touchpoints=touchpoint_lists, model=st.sampled_from(MODELS), data=st.data())
def test_moving_a_click_out_of_the_window_never_raises_its_influencers_credit(touchpoints, model, data):
    moved = data.draw(st.sampled_from(touchpoints))
    remaining = list(touchpoints)
    remaining.remove(moved)  # outside the window, the click no longer counts

    before = split(model, touchpoints, NOW, WEEK).get(moved.influencer_id, 0)
    after = split(model, remaining, NOW, WEEK).get(moved.influencer_id, 0)

    assert after <= before + 1  # +1 ppm: the largest-remainder rounding of exact shares


@given(touchpoints=touchpoint_lists)
def test_model_shares_give_each_model_its_own_split(touchpoints):
    touchpoints = [Touchpoint(t.influencer_id, t.at, link_id=t.influencer_id * 10 + n % 2) for n, t in enumerate(touchpoints)]
    shares = model_shares(touchpoints, NOW, WEEK)

    for model in MODELS:
        by_influencer: dict[int, int] = {}
        for (influencer_id, _), by_model in shares.items():
            by_influencer[influencer_id] = by_influencer.get(influencer_id, 0) + by_model[model]
        assert {i: ppm for i, ppm in by_influencer.items() if ppm} == split(model, touchpoints, NOW, WEEK)
    assert all(any(by_model.values()) for by_model in shares.values())
