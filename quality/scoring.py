"""QA scores, as pure functions (tested on hand-worked reviews in
tests/quality/test_scoring.py; docs/metrics.md says the same in words).

- A **category's score** is (value − min) / (max − min) × 100 on its scale: pass/fail
  is 0–1, three points 1–3, five points 1–5. "Not applicable" (no value, where the
  category allows it) has no score and is left out of the review's.
- A **review's score** is Σ(score × weight) / Σ(weight) over the scored categories.
- A **critical** category whose value is its scale's minimum (a fail, the lowest mark)
  auto-fails the review: its score is 0, the categories' scores are kept for reporting.
- A review **passes** when its score reaches the scorecard's pass mark (default 80).
- **Alignment** of a reviewer with a benchmark reviewer on one category: 1 − |a − b| /
  points, where points is the scale's span (max − min); over a review, weighted by the
  categories' weights.
- **Krippendorff's alpha** per category over a calibration session's ratings (ordinal
  metric on the scale's values), see ``alpha``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

SCALES: dict[str, tuple[int, int]] = {"pass_fail": (0, 1), "three": (1, 3), "five": (1, 5)}


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    weight: float = 1.0
    scale: str = "five"
    allow_na: bool = False
    critical: bool = False

    @property
    def bounds(self) -> tuple[int, int]:
        return SCALES[self.scale]

    def values(self) -> list[int]:
        low, high = self.bounds
        return list(range(low, high + 1))

    @classmethod
    def from_json(cls, data: Mapping) -> Category:
        return cls(
            key=str(data["key"]),
            name=str(data["name"]),
            weight=float(data.get("weight", 1)),
            scale=str(data.get("scale", "five")),
            allow_na=bool(data.get("allow_na")),
            critical=bool(data.get("critical")),
        )

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "weight": self.weight,
            "scale": self.scale,
            "allow_na": self.allow_na,
            "critical": self.critical,
        }


def category_score(category: Category, value: int | None) -> float | None:
    if value is None:
        return None
    low, high = category.bounds
    if not low <= value <= high:
        raise ValueError(f"{value} is outside {category.key}'s scale {low}–{high}")
    return (value - low) / (high - low) * 100


@dataclass(frozen=True)
class Result:
    score: float | None  # None: every category was "not applicable"
    auto_failed: bool
    passed: bool | None
    categories: dict[str, float | None]


def review_score(
    categories: Sequence[Category], values: Mapping[str, int | None], *, pass_mark: float = 80
) -> Result:
    """A review's score from its values by category key (None: not applicable)."""
    scores: dict[str, float | None] = {}
    weighted, weights, auto_failed = 0.0, 0.0, False
    for category in categories:
        value = values.get(category.key)
        if value is None and not category.allow_na:
            raise ValueError(f"{category.key} needs a value")
        score = category_score(category, value)
        scores[category.key] = score
        if score is None:
            continue
        weighted += score * category.weight
        weights += category.weight
        if category.critical and value == category.bounds[0]:
            auto_failed = True
    if auto_failed:
        return Result(score=0.0, auto_failed=True, passed=False, categories=scores)
    if not weights:
        return Result(score=None, auto_failed=False, passed=None, categories=scores)
    total = weighted / weights
    return Result(score=total, auto_failed=False, passed=total >= pass_mark, categories=scores)


def alignment(
    categories: Sequence[Category],
    values: Mapping[str, int | None],
    benchmark: Mapping[str, int | None],
) -> float | None:
    """How close a reviewer's values are to the benchmark's (1 = the same), weighted; a
    category either left as not applicable is left out."""
    total, weights = 0.0, 0.0
    for category in categories:
        a, b = values.get(category.key), benchmark.get(category.key)
        if a is None or b is None:
            continue
        low, high = category.bounds
        total += (1 - abs(a - b) / (high - low)) * category.weight
        weights += category.weight
    return total / weights if weights else None


def alpha(units: Sequence[Sequence[int | None]], *, values: Sequence[int]) -> float | None:
    """Krippendorff's alpha with the ordinal metric: ``units`` are the items rated (here,
    the session's tickets), each a list of the reviewers' values (None: not rated / not
    applicable); ``values`` the scale's values in order. None when it is undefined (fewer
    than two pairable values, or every value the same)."""
    # The coincidence matrix: within each unit with m ≥ 2 values, every ordered pair of
    # different raters' values counts 1 / (m − 1).
    coincidence: defaultdict[tuple[int, int], float] = defaultdict(float)
    for unit in units:
        found = [v for v in unit if v is not None]
        m = len(found)
        if m < 2:
            continue
        for i, j in combinations(range(m), 2):
            coincidence[(found[i], found[j])] += 1 / (m - 1)
            coincidence[(found[j], found[i])] += 1 / (m - 1)
    n_c: defaultdict[int, float] = defaultdict(float)
    for (c, _k), count in coincidence.items():
        n_c[c] += count
    n = sum(n_c.values())
    if n <= 1:
        return None
    order = list(values)

    def delta(c: int, k: int) -> float:
        """Ordinal distance: the values between c and k (inclusive), less half of each end."""
        if c == k:
            return 0.0
        low, high = sorted((order.index(c), order.index(k)))
        between = sum(n_c.get(order[g], 0.0) for g in range(low, high + 1))
        return (between - (n_c[c] + n_c[k]) / 2) ** 2

    observed = sum(count * delta(c, k) for (c, k), count in coincidence.items())
    expected = sum(n_c[c] * n_c[k] * delta(c, k) for c in n_c for k in n_c) / (n - 1)
    if expected == 0:
        return None
    return 1 - observed / expected
