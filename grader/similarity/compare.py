"""Every pair of a class's documents: how much of each one's own code the other shares.

A fingerprint counts less the more of the class holds it (code every correct solution must
share), nothing past half the class, and a fifth when the instructor's solution holds it. A
pair's share for one student is the weight of the fingerprints the two share over the weight of
all that student's fingerprints: what the whole class writes counts on neither side, and a
notebook whose own code is a few lines (under MIN_WEIGHT) cannot reach a high share on them.
Which pairs stand out is the class's own distribution: each student's closest match, and a
pair stands out past Tukey's fence of those (an outlier of a box plot), not an absolute number;
only when the class spreads so wide that the fence passes CEILING does the ceiling decide.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.distribution import missing_extra
from grader.similarity.documents import Document, K

SOLUTION_WEIGHT = 0.2
COMMON_SHARE = 0.5  # a fingerprint held by more than this share of the class weighs nothing
MIN_WEIGHT = 10.0  # a share is over at least the weight of this many unique fingerprints
FENCE = 1.5  # interquartile ranges above the third quartile: Tukey's outliers
MIN_GAP = 0.1  # a pair stands out only this far above the class's median pair, at least
CEILING = 0.9  # past this share a pair stands out even in a class whose pairs share much


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    shares: tuple[float, float]  # of the first's own code, of the second's
    group: bool  # the two declared themselves one group

    @property
    def score(self) -> float:
        return max(self.shares)


@dataclass(frozen=True)
class Comparison:
    pairs: list[Pair]  # every pair sharing anything, highest score first
    threshold: float  # a pair above it stands out
    compared: int  # documents compared
    weights: dict[int, float]  # by fingerprint: how much sharing it counts (see above)

    def flagged(self, pair: Pair) -> bool:
        return not pair.group and pair.score > self.threshold


@dataclass(frozen=True)
class CellMatch:
    """Two cells sharing fingerprints, and the lines of each that the shared ones cover."""

    first_cell: int  # index in the first document's cells
    second_cell: int
    first_lines: frozenset[int]
    second_lines: frozenset[int]
    fingerprints: int


def fingerprint_weights(
    documents: Sequence[Document], solution: Collection[int]
) -> dict[int, float]:
    """The weight of each fingerprint of the class (those weighing nothing left out)."""
    holders: dict[int, int] = defaultdict(int)
    for document in documents:
        for h in document.fingerprints:
            holders[h] += 1
    size = len(documents)
    weights: dict[int, float] = {}
    for h, count in holders.items():
        if count > max(2, COMMON_SHARE * size):
            continue
        weight = 1.0 if count <= 2 else math.log(size / count) / math.log(size / 2)
        weights[h] = weight * (SOLUTION_WEIGHT if h in solution else 1.0)
    return weights


def compare(
    documents: Sequence[Document],
    solution: Collection[int],
    groups: Collection[frozenset[str]] = (),
) -> Comparison:
    weights = fingerprint_weights(documents, solution)
    shared = shared_weights(documents, weights)
    totals = shared.diagonal().tolist()  # each document's own weight
    entries = shared.tocoo()
    pairs = []
    for i, j, weight in zip(
        entries.row.tolist(), entries.col.tolist(), entries.data.tolist(), strict=True
    ):
        if i >= j:  # the diagonal, and each pair's second copy
            continue
        first, second = documents[i], documents[j]
        pairs.append(
            Pair(
                first.student,
                second.student,
                (_share(weight, totals[i]), _share(weight, totals[j])),
                frozenset((first.student, second.student)) in groups,
            )
        )
    pairs.sort(key=lambda p: (-p.score, p.first, p.second))
    closest = {d.student: 0.0 for d, total in zip(documents, totals, strict=True) if total > 0}
    for pair in pairs:
        if not pair.group:
            closest[pair.first] = max(closest[pair.first], pair.score)
            closest[pair.second] = max(closest[pair.second], pair.score)
    threshold = outlier_threshold(list(closest.values()))
    return Comparison(pairs, threshold, len(documents), weights)


def shared_weights(documents: Sequence[Document], weights: dict[int, float]) -> Any:
    """The (documents x documents) sparse matrix of the weight each two share.

    One sparse product, in C: a fingerprint held by half of a class of 300 adds its weight to
    11 000 pairs, which a loop over pairs in Python would pay for each fingerprint."""
    try:
        from scipy import sparse  # 0.8 s to import: `import grader` (every command) does not pay it
    except ImportError as exc:
        raise missing_extra(exc, "similarity", "grader similarity") from exc

    columns = {h: column for column, h in enumerate(weights)}
    rows, cols = [], []
    for row, document in enumerate(documents):
        held = [columns[h] for h in document.fingerprints if h in columns]
        rows += [row] * len(held)
        cols += held
    holds = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(documents), len(columns))
    )
    weighted = holds.multiply(np.fromiter(weights.values(), float, len(weights))).tocsr()
    return (weighted @ holds.T).tocsr()


def _share(weight: float, total: float) -> float:
    return min(weight / max(total, MIN_WEIGHT), 1.0)


def outlier_threshold(scores: Sequence[float]) -> float:
    """Tukey's fence of the scores, at least MIN_GAP above their median, at most CEILING."""
    if len(scores) < 4:
        return min(max(scores, default=0.0) + MIN_GAP, CEILING)
    first, median, third = statistics.quantiles(scores, n=4, method="inclusive")
    return min(max(third + FENCE * (third - first), median + MIN_GAP), CEILING)


def cell_matches(first: Document, second: Document, weights: dict[int, float]) -> list[CellMatch]:
    """The cells of two documents that share fingerprints, most shared first."""
    found: dict[tuple[int, int], tuple[set[int], set[int], int]] = {}
    for h in first.fingerprints.keys() & second.fingerprints.keys():
        if weights.get(h, 0.0) <= 0.0:
            continue
        here = _covered(first, first.fingerprints[h])
        there = _covered(second, second.fingerprints[h])
        key = (next(iter(here))[0], next(iter(there))[0])
        lines = found.setdefault(key, (set(), set(), 0))
        lines[0].update(line for cell, line in here if cell == key[0])
        lines[1].update(line for cell, line in there if cell == key[1])
        found[key] = (lines[0], lines[1], lines[2] + 1)
    matches = [
        CellMatch(a, b, frozenset(mine), frozenset(theirs), count)
        for (a, b), (mine, theirs, count) in found.items()
    ]
    return sorted(matches, key=lambda m: (-m.fingerprints, m.first_cell, m.second_cell))


def _covered(document: Document, starts: list[int]) -> dict[tuple[int, int], None]:
    """The (cell, line) places of the tokens of the k-grams starting at `starts`, in order."""
    return {document.places[token]: None for start in starts for token in range(start, start + K)}
