"""The French sentences for limit hits."""

from __future__ import annotations

import pytest

from grader.results import ExecutionStatus
from grader.sandbox.limits import Limits
from grader.sandbox.messages import french_size, limit_message

LIMITS = Limits(cell_timeout_s=30, notebook_timeout_s=300, memory_bytes=2 * 1024**3)


@pytest.mark.parametrize(
    ("status", "cell_index", "expected"),
    [
        (
            ExecutionStatus.TIMEOUT,
            6,
            "La cellule 7 a dépassé la limite de 30 s de calcul (120 s de durée au plus) et ne "
            "répondait plus à l'interruption ; "
            "le noyau a été arrêté.",
        ),
        (
            ExecutionStatus.TIMEOUT,
            None,
            "Le notebook a dépassé sa durée limite de 300 s ; "
            "les cellules suivantes n'ont pas été exécutées.",
        ),
        (
            ExecutionStatus.MEMORY,
            0,
            "La cellule 1 a dépassé la limite de mémoire de 2 Gio (processus enfants compris) ; "
            "le noyau a été arrêté.",
        ),
        (
            ExecutionStatus.OUTPUT_LIMIT,
            2,
            "La cellule 3 a produit trop de sortie (plus de 64 Mio d'un coup) ; "
            "le noyau a été arrêté.",
        ),
        (
            ExecutionStatus.KILLED,
            4,
            "Le noyau s'est arrêté pendant l'exécution de la cellule 5 (sortie brutale, signal "
            "ou plantage) ; les cellules suivantes n'ont pas été exécutées.",
        ),
        (ExecutionStatus.OK, None, None),
        (ExecutionStatus.ERROR, 3, None),
    ],
)
def test_limit_message(status: ExecutionStatus, cell_index: int | None, expected: str) -> None:
    said = limit_message(status, LIMITS, cell_index)
    assert (said.text() if said else None) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(1536 * 1024**2, "1,5 Gio"), (64 * 1024**2, "64 Mio"), (512, "512 o")],
)
def test_french_size(size: int, expected: str) -> None:
    assert french_size(size) == expected
