"""ovis/services/iam/paging.py: markers name the next page's first key."""

from __future__ import annotations

from ovis.services.iam.paging import page


def test_pages_follow_markers_and_survive_deletions() -> None:
    items = ["a", "b", "c", "d", "e"]
    first, marker = page(items, str, None, 2)
    assert (first, marker) == (["a", "b"], "c")
    # "c" deleted between pages: the next page starts at what follows it
    second, marker = page(["a", "b", "d", "e"], str, marker, 2)
    assert (second, marker) == (["d", "e"], None)
    assert page(items, str, None, None) == (items, None)
