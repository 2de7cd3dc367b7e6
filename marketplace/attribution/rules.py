"""The attribution models: how one order line's credit is split among the touchpoints
(clicks) that led to it. Pure functions on whole-number weights, split exactly; no database here.

- ``last_click``: all to the last touchpoint (the default);
- ``first_click``: all to the first;
- ``linear``: equal shares;
- ``time_decay``: weights halve every ``half_life`` before the order;
- ``position_based``: 40 % first, 40 % last, 20 % shared by the middle (one touchpoint
  takes all, two take half each).

Each touchpoint's share is a whole number of parts per million, and the shares of a
line sum to exactly 1 000 000 (largest remainder, ties to the earlier touchpoint); an
influencer's share is the sum of their touchpoints'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from marketplace.money import allocate as split_exactly

MODELS = ("last_click", "first_click", "linear", "time_decay", "position_based")
PPM = 1_000_000


@dataclass(frozen=True)
class Touchpoint:
    influencer_id: int
    at: datetime
    link_id: int = 0


def weights(model: str, touchpoints: list[Touchpoint], order_time: datetime, half_life: timedelta) -> list[int]:
    """One whole-number weight per touchpoint (in time order); a touchpoint's share is its weight
    over their sum."""
    n = len(touchpoints)
    if n == 0:
        return []
    if model == "last_click":
        return [0] * (n - 1) + [1]
    if model == "first_click":
        return [1] + [0] * (n - 1)
    if model == "linear":
        return [1] * n
    if model == "position_based":
        if n <= 2:
            return [1] * n
        return [2 * (n - 2)] + [1] * (n - 2) + [2 * (n - 2)]  # 2/5, 1/(5(n-2)) each, 2/5
    if model == "time_decay":
        # 2^-age as a float is an exact binary fraction: over the smallest one's power-of-two
        # denominator, every weight is a whole number, and the split stays exact.
        ratios = [(2 ** (-((order_time - t.at) / half_life))).as_integer_ratio() for t in touchpoints]
        common = max(denominator for _, denominator in ratios)
        return [numerator * (common // denominator) for numerator, denominator in ratios]
    raise ValueError(f"unknown attribution model {model!r}")


def allocate(
    model: str, touchpoints: list[Touchpoint], order_time: datetime, half_life: timedelta
) -> list[tuple[Touchpoint, int]]:
    """Parts per million of the line for each touchpoint that earns some, in time order."""
    ordered = sorted(touchpoints, key=lambda t: t.at)
    ppm = split_exactly(PPM, weights(model, ordered, order_time, half_life))
    return [(touchpoint, part) for touchpoint, part in zip(ordered, ppm, strict=True) if part]


def model_shares(
    touchpoints: list[Touchpoint], order_time: datetime, half_life: timedelta
) -> dict[tuple[int, int], dict[str, int]]:
    """Every model's parts per million of the line per ``(influencer, link)``: the same touchpoints
    read five ways, so reports can show a period under any model without recomputing it.
    Pairs that no model gives anything are left out."""
    shares: dict[tuple[int, int], dict[str, int]] = {}
    for model in MODELS:
        for touchpoint, ppm in allocate(model, touchpoints, order_time, half_life):
            shares.setdefault((touchpoint.influencer_id, touchpoint.link_id), dict.fromkeys(MODELS, 0))[model] += ppm
    return shares


def split(model: str, touchpoints: list[Touchpoint], order_time: datetime, half_life: timedelta) -> dict[int, int]:
    """Parts per million of the line for each credited influencer (the sum of their touchpoints')."""
    shares: dict[int, int] = {}
    for touchpoint, ppm in allocate(model, touchpoints, order_time, half_life):
        shares[touchpoint.influencer_id] = shares.get(touchpoint.influencer_id, 0) + ppm
    return shares
