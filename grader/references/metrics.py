"""Classification metrics for predictions on a test set whose labels stay hidden.

The confusion matrix comes from scikit-learn; precision, recall and F1 are derived from it here
(an undefined ratio, 0/0, counts as 0, like scikit-learn's zero_division=0).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


def _check_lengths(y_true: Sequence[Hashable], y_pred: Sequence[Hashable]) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_pred)} predictions for {len(y_true)} labels")
    if not y_true:
        raise ValueError("no labels to score")


def confusion_matrix(
    y_true: Sequence[Hashable], y_pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> tuple[list[Hashable], NDArray[np.int64]]:
    """(labels, matrix) with matrix[i, j] = how many of class labels[i] were predicted labels[j].

    Labels default to every label seen in y_true or y_pred, sorted.
    """
    from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

    _check_lengths(y_true, y_pred)
    ordered = list(labels) if labels is not None else sorted({*y_true, *y_pred}, key=str)
    matrix = sklearn_confusion_matrix(list(y_true), list(y_pred), labels=ordered)
    return ordered, np.asarray(matrix, dtype=np.int64)


def _ratio(numerator: NDArray[np.float64], denominator: NDArray[np.float64]) -> NDArray[np.float64]:
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, 0.0)


def _f1(precision: NDArray[np.float64], recall: NDArray[np.float64]) -> NDArray[np.float64]:
    return _ratio(2 * precision * recall, precision + recall)


@dataclass(frozen=True)
class ClassificationScores:
    labels: tuple[Hashable, ...]
    confusion: tuple[tuple[int, ...], ...]
    accuracy: float
    precision: tuple[float, ...]  # per label, in the order of `labels`
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    precision_macro: float
    recall_macro: float
    f1_macro: float
    precision_micro: float
    recall_micro: float
    f1_micro: float


def classification_scores(
    y_true: Sequence[Hashable], y_pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> ClassificationScores:
    """Accuracy, per-label and macro/micro precision, recall and F1 from the confusion matrix.

    Macro averages the per-label scores (each label weighs the same); micro pools the counts
    (for single-label classification, micro precision = recall = F1 = accuracy when every
    label is counted).
    """
    ordered, matrix = confusion_matrix(y_true, y_pred, labels)
    counts = matrix.astype(np.float64)
    true_positives = np.diag(counts)
    predicted = counts.sum(axis=0)
    actual = counts.sum(axis=1)
    precision = _ratio(true_positives, predicted)
    recall = _ratio(true_positives, actual)
    f1 = _f1(precision, recall)
    tp_all = np.array(true_positives.sum())
    precision_micro = _ratio(tp_all, np.array(predicted.sum()))
    recall_micro = _ratio(tp_all, np.array(actual.sum()))
    correct = sum(a == b for a, b in zip(y_true, y_pred, strict=True))
    return ClassificationScores(
        labels=tuple(ordered),
        confusion=tuple(tuple(int(c) for c in row) for row in matrix),
        accuracy=correct / len(y_true),
        precision=tuple(float(x) for x in precision),
        recall=tuple(float(x) for x in recall),
        f1=tuple(float(x) for x in f1),
        precision_macro=float(precision.mean()),
        recall_macro=float(recall.mean()),
        f1_macro=float(f1.mean()),
        precision_micro=float(precision_micro),
        recall_micro=float(recall_micro),
        f1_micro=float(_f1(precision_micro, recall_micro)),
    )


def accuracy(y_true: Sequence[Hashable], y_pred: Sequence[Hashable]) -> float:
    _check_lengths(y_true, y_pred)
    return sum(a == b for a, b in zip(y_true, y_pred, strict=True)) / len(y_true)


def macro_f1(
    y_true: Sequence[Hashable], y_pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> float:
    """The mini-projet's score: F1 averaged over labels, each label weighing the same."""
    return classification_scores(y_true, y_pred, labels).f1_macro
