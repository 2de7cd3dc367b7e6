"""The attribution models: how one order line's credit is split among the touchpoints
(clicks) that led to it. Pure functions on exact fractions; no database here.

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

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

MODELS = ("last_click", "first_click", "linear", "time_decay", "position_based")
PPM = 1_000_000


@dataclass(frozen=True)
class Touchpoint:
    influencer_id: int
    at: datetime
    link_id: int = 0


def weights(model: str, touchpoints: list[Touchpoint], order_time: datetime, half_life: timedelta) -> list[Fraction]:
    """One weight per touchpoint (in time order), summing to 1."""
    n = len(touchpoints)
    if n == 0:
        return []
    if model == "last_click":
        return [Fraction(0)] * (n - 1) + [Fraction(1)]
    if model == "first_click":
        return [Fraction(1)] + [Fraction(0)] * (n - 1)
    if model == "linear":
        return [Fraction(1, n)] * n
    if model == "position_based":
        if n == 1:
            return [Fraction(1)]
        if n == 2:
            return [Fraction(1, 2), Fraction(1, 2)]
        middle = Fraction(1, 5) / (n - 2)
        return [Fraction(2, 5)] + [middle] * (n - 2) + [Fraction(2, 5)]
    if model == "time_decay":
        raw = [
            Fraction(2 ** (-((order_time - t.at) / half_life))).limit_denominator(10**12) for t in touchpoints
        ]
        total = sum(raw)
        return [w / total for w in raw]
    raise ValueError(f"unknown attribution model {model!r}")


def allocate(
    model: str, touchpoints: list[Touchpoint], order_time: datetime, half_life: timedelta
) -> list[tuple[Touchpoint, int]]:
    """Parts per million of the line for each touchpoint that earns some, in time order."""
    ordered = sorted(touchpoints, key=lambda t: t.at)
    ppm = to_ppm(dict(enumerate(weights(model, ordered, order_time, half_life))))
    return [(ordered[index], ppm[index]) for index in sorted(ppm)]


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


def to_ppm(shares: dict[int, Fraction]) -> dict[int, int]:
    """Exact shares (summing to 1) as integers summing to exactly PPM; zero shares left out."""
    if not shares:
        return {}
    # share × PPM = floor + rest / denominator, in integers (Fraction arithmetic is slow); the
    # remainders are compared exactly as integers counting 1 / (the denominators' lcm).
    common = math.lcm(*(share.denominator for share in shares.values()))
    floors: dict[int, int] = {}
    remainders: dict[int, int] = {}
    for key, share in shares.items():
        floors[key], rest = divmod(share.numerator * PPM, share.denominator)
        remainders[key] = rest * (common // share.denominator)
    left = PPM - sum(floors.values())
    by_remainder = sorted(shares, key=lambda key: (-remainders[key], key))
    for key in by_remainder[:left]:
        floors[key] += 1
    return {key: ppm for key, ppm in floors.items() if ppm > 0}
