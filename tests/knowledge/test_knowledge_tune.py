"""Threshold choice of the calibration grid search."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.tune import _choose_threshold


def test_threshold_maximises_utility_within_the_null_budget() -> None:
    # four in-scope queries (three right), two out-of-scope ones scoring 0.5 and 0.9
    top = np.array([0.8, 0.7, 0.6, 0.55, 0.5, 0.9])
    correct = np.array([True, True, True, False, False, False])
    is_null = np.array([False, False, False, False, True, True])
    blocked = np.zeros(6, dtype=bool)
    # with no out-of-scope answer allowed, nothing under 0.9 may be answered: the best is above 0.9
    threshold, utility, null_accept = _choose_threshold(top, correct, is_null, 0.0, blocked)
    assert threshold > 0.9 and utility == 0.0 and null_accept == 0.0
    # one of two allowed: answer the three right ones and stop before the wrong one at 0.55
    threshold, utility, null_accept = _choose_threshold(top, correct, is_null, 0.5, blocked)
    assert 0.55 < threshold <= 0.6 and utility == pytest.approx(0.75) and null_accept == 0.5
    # a query blocked by an out-of-scope anchor is never answered, whatever the threshold
    blocked[5] = True
    threshold, utility, null_accept = _choose_threshold(top, correct, is_null, 0.0, blocked)
    assert 0.55 < threshold <= 0.6 and utility == pytest.approx(0.75) and null_accept == 0.0
