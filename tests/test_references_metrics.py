"""Classification metrics against a hand-computed example and scikit-learn's own scores."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from grader.references.metrics import accuracy, classification_scores, confusion_matrix, macro_f1


def test_scores_by_hand() -> None:
    y_true = [0, 0, 1, 1, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    scores = classification_scores(y_true, y_pred)
    assert scores.confusion == ((1, 1, 0), (0, 2, 0), (1, 0, 1))
    assert scores.precision == pytest.approx((1 / 2, 2 / 3, 1.0))
    assert scores.recall == pytest.approx((1 / 2, 1.0, 1 / 2))
    assert scores.f1 == pytest.approx((1 / 2, 4 / 5, 2 / 3))
    assert scores.f1_macro == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)
    assert scores.accuracy == scores.f1_micro == pytest.approx(4 / 6)


@pytest.mark.parametrize("seed", range(5))
def test_scores_match_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = ["négatif", "neutre", "positif", "rare"]
    y_true = list(rng.choice(labels[:3], size=40))  # "rare" only ever predicted
    y_pred = list(rng.choice(labels, size=40, p=[0.3, 0.3, 0.3, 0.1]))
    scores = classification_scores(y_true, y_pred)
    assert scores.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    for average in ("macro", "micro"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, average=average, zero_division=0
        )
        assert getattr(scores, f"precision_{average}") == pytest.approx(p)
        assert getattr(scores, f"recall_{average}") == pytest.approx(r)
        assert getattr(scores, f"f1_{average}") == pytest.approx(f)
    per_label = precision_recall_fscore_support(
        y_true, y_pred, labels=list(scores.labels), zero_division=0
    )
    assert scores.f1 == pytest.approx(tuple(per_label[2]))


def test_fixed_labels_order_the_confusion_matrix() -> None:
    labels, matrix = confusion_matrix(["b", "a", "a"], ["a", "a", "c"], labels=["c", "b", "a"])
    assert labels == ["c", "b", "a"]
    assert matrix.tolist() == [[0, 0, 0], [0, 0, 1], [1, 0, 1]]


def test_shortcuts() -> None:
    assert accuracy([1, 2, 3], [1, 2, 0]) == pytest.approx(2 / 3)
    assert macro_f1(["x", "y"], ["x", "y"]) == 1.0


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [([1, 2], [1], "1 predictions for 2 labels"), ([], [], "no labels to score")],
)
def test_bad_inputs(y_true: list[int], y_pred: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classification_scores(y_true, y_pred)
