"""The one suppression rule, cell by cell."""

import numpy as np

from stats.suppression import suppressed


def test_one_rule_hides_small_cells_and_one_more_when_only_one_would_be_hidden():
    assert suppressed([25, 12, 30], 10).tolist() == [False, False, False]
    # 3 alone would be total minus the others: the next smallest (12) goes too
    assert suppressed([25, 12, 3, 30], 10).tolist() == [False, True, True, False]
    assert suppressed([25, 4, 3, 30], 10).tolist() == [False, True, True, False]
    assert suppressed([5], 10).tolist() == [True]
    # an empty group gives nothing away, so it does not count as the one hidden cell
    assert suppressed([25, 12, 0, 30], 10).tolist() == [False, False, True, False]


def test_suppression_is_the_same_array_for_any_order_of_groups():
    counts = np.array([30, 3, 12, 25])
    assert suppressed(counts, 10).tolist() == [False, True, True, False]
