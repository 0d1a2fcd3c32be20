"""QA scores on hand-worked reviews, and Krippendorff's alpha against the krippendorff
package on the same data (quality/scoring.py, docs/metrics.md)."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from quality.scoring import Category, alignment, alpha, category_score, review_score

CARD = [
    Category("greeting", "Greeting", weight=1, scale="pass_fail"),
    Category("accuracy", "Accuracy", weight=3, scale="five"),
    Category("tone", "Tone", weight=2, scale="three", allow_na=True),
    Category("privacy", "Privacy", weight=2, scale="pass_fail", critical=True),
]


def test_category_scores_run_from_the_scales_minimum_to_its_maximum():
    assert category_score(CARD[0], 0) == 0 and category_score(CARD[0], 1) == 100
    assert category_score(CARD[1], 1) == 0 and category_score(CARD[1], 4) == 75
    assert category_score(CARD[2], 2) == 50 and category_score(CARD[2], None) is None
    with pytest.raises(ValueError, match="outside"):
        category_score(CARD[1], 6)


def test_a_review_is_the_weighted_mean_of_its_scored_categories():
    # greeting 100 ×1, accuracy 75 ×3, tone 50 ×2, privacy 100 ×2 → (100+225+100+200)/8
    result = review_score(CARD, {"greeting": 1, "accuracy": 4, "tone": 2, "privacy": 1})
    assert result.score == pytest.approx(78.125) and result.passed is False
    assert result.categories == {"greeting": 100, "accuracy": 75, "tone": 50, "privacy": 100}
    # Tone not applicable: left out of the score and of the weights: (100+225+200)/6
    na = review_score(CARD, {"greeting": 1, "accuracy": 4, "tone": None, "privacy": 1})
    assert na.score == pytest.approx(87.5) and na.passed is True
    assert review_score(CARD, {"greeting": 1, "accuracy": 4, "tone": None, "privacy": 1},
                        pass_mark=90).passed is False  # fmt: skip


def test_a_failed_critical_category_auto_fails_and_keeps_the_category_scores():
    result = review_score(CARD, {"greeting": 1, "accuracy": 5, "tone": 3, "privacy": 0})
    assert (result.score, result.auto_failed, result.passed) == (0.0, True, False)
    assert result.categories["accuracy"] == 100 and result.categories["privacy"] == 0


def test_a_category_that_may_not_be_skipped_needs_a_value():
    with pytest.raises(ValueError, match="accuracy needs a value"):
        review_score(CARD, {"greeting": 1, "accuracy": None, "privacy": 1})


def test_alignment_with_the_benchmark_is_weighted_by_category():
    mine = {"greeting": 1, "accuracy": 3, "tone": None, "privacy": 1}
    benchmark = {"greeting": 1, "accuracy": 5, "tone": 2, "privacy": 1}
    # greeting 1 ×1, accuracy 1 − 2/4 = 0.5 ×3, tone left out, privacy 1 ×2 → 4.5/6
    assert alignment(CARD, mine, benchmark) == pytest.approx(0.75)


@pytest.mark.parametrize("data", [
    # Krippendorff (2011)'s example, units × raters, None missing: ordinal 1–5.
    [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
     [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]],
    # Three reviewers, five tickets, close but not the same.
    [[5, 4, 2, 1, 3], [5, 4, 3, 1, 3], [4, 4, 2, 2, 3]],
    # Perfect agreement on a spread of values.
    [[1, 3, 5, 2], [1, 3, 5, 2], [1, 3, 5, 2]],
])  # fmt: skip
def test_alpha_matches_the_krippendorff_package(data):
    reliability = np.array([[np.nan if v is None else v for v in row] for row in data],
                           dtype=float)  # fmt: skip
    expected = krippendorff.alpha(reliability_data=reliability, level_of_measurement="ordinal",
                                  value_domain=[1, 2, 3, 4, 5])  # fmt: skip
    units = [list(unit) for unit in zip(*data, strict=True)]
    assert alpha(units, values=[1, 2, 3, 4, 5]) == pytest.approx(expected, abs=1e-9)


def test_alpha_is_undefined_without_disagreement_to_measure():
    assert alpha([[3, 3], [3, 3]], values=[1, 2, 3]) is None
    assert alpha([[3], [2]], values=[1, 2, 3]) is None
