"""The one suppression rule, cell by cell: whatever the shown total minus the shown groups
leaves must be nothing or at least the minimum group."""

import numpy as np

from stats.suppression import suppressed, suppressed_together


def test_one_rule_hides_small_cells_and_more_until_the_remainder_is_safe():
    assert suppressed([25, 12, 30], 10).tolist() == [False, False, False]
    # 3 alone would be total minus the others: the next smallest (12) goes too
    assert suppressed([25, 12, 3, 30], 10).tolist() == [False, True, True, False]
    assert suppressed([5], 10).tolist() == [True]
    # an empty group gives nothing away, so it does not count as the one hidden cell
    assert suppressed([25, 12, 0, 30], 10).tolist() == [False, False, True, False]


def test_two_small_cells_together_are_no_safer_than_one():
    # 4 + 3 = 7 would be the total minus the visible groups: 25 is hidden too (7 + 25 = 32)
    hidden = suppressed([25, 4, 3, 30], 10)
    assert hidden.tolist() == [True, True, True, False]
    counts = np.array([25, 4, 3, 30])
    assert counts.sum() - counts[~hidden].sum() >= 10
    # two respondents of two small municipalities
    assert suppressed([40, 1, 1, 50], 10).tolist() == [True, True, True, False]


def test_respondents_in_no_group_are_a_cell_of_their_own():
    # 3 without a municipality: total (83) minus the groups (80) would be their answers
    assert suppressed([30, 50], 10, unassigned=3).tolist() == [True, False]
    assert suppressed([30, 50], 10, unassigned=12).tolist() == [False, False]
    # nothing else to hide: everything goes
    assert suppressed([12], 10, unassigned=3).tolist() == [True]


def test_suppression_is_the_same_array_for_any_order_of_groups():
    counts = np.array([30, 3, 12, 25])
    assert suppressed(counts, 10).tolist() == [False, True, True, False]


def test_one_decision_for_all_tables_of_a_question():
    # an average (without "don't know") and the shares (with it) of the same groups: the
    # second group is hidden in the average, so it is hidden in the shares as well, and
    # then the first table's remainder needs the smallest other group too
    average = ([40, 9, 30], 0)
    shares = ([41, 11, 30], 0)
    assert suppressed(*shares[:1], 10).tolist() == [False, False, False]
    together = suppressed_together([average, shares], 10)
    assert together.tolist() == [False, True, True]
    for counts, _ in (average, shares):
        counts = np.array(counts)
        assert counts.sum() - counts[~together].sum() >= 10
