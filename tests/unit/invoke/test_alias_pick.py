"""Alias weighted routing (models/alias.py): which version a uniform draw picks."""

from __future__ import annotations

import random

from ovis.models.alias import Alias


def alias(weights: dict[str, float]) -> Alias:
    return Alias("fn", "live", "1", "rev", weights=weights)


def test_without_weights_the_primary_version_always_wins() -> None:
    assert {alias({}).pick(d) for d in (0.0, 0.5, 0.999)} == {"1"}


def test_a_draw_below_the_additional_weight_picks_the_additional_version() -> None:
    a = alias({"2": 0.25})
    assert a.pick(0.0) == "2"
    assert a.pick(0.2499) == "2"
    assert a.pick(0.25) == "1"  # the boundary belongs to the primary
    assert a.pick(0.9999) == "1"


def test_weights_split_the_draws_in_proportion() -> None:
    a = alias({"2": 0.3})
    rng = random.Random(7)
    picks = [a.pick(rng.random()) for _ in range(10_000)]
    share = picks.count("2") / len(picks)
    assert 0.28 < share < 0.32


def test_a_full_weight_sends_everything_to_the_additional_version() -> None:
    a = alias({"2": 1.0})
    assert {a.pick(d / 100) for d in range(100)} == {"2"}
