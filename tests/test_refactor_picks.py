"""Every strategy and selector picks what it picked before the refactor.

``tests/data/strategy_picks.json`` was written by ``tests/picks_reference.py``
with the code as it was before the "one door" refactor (issue 13); this test
runs the same script with today's code. Refactoring must not change a pick.
"""

import json
from pathlib import Path

import pytest

from .picks_reference import compute

STORED = json.loads(
    (Path(__file__).parent / "data" / "strategy_picks.json").read_text()
)


@pytest.fixture(scope="module")
def picks_now():
    return compute()


def test_same_cases(picks_now):
    assert sorted(picks_now) == sorted(STORED)


@pytest.mark.parametrize("name", sorted(STORED))
def test_same_picks(name, picks_now):
    assert picks_now[name] == STORED[name], name
