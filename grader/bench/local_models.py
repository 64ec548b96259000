"""Local models for the `perplexity` and `classifier` assertions, never fetched from a hub.

A model is named by a folder (relative to the rubric) or by a Hub id read from the offline
mirror (`grader mirror build`, design §7) or the Hugging Face cache, with HF_HUB_OFFLINE=1.
promptfoo reads perplexity from the provider's log-probabilities; a recorded table has none, so
here the output's perplexity is measured under a local causal model (GPT-2 by default: in the
mirror it is a random-weight stand-in, so its figures only check the plumbing).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import GraderError


class ModelUnavailable(GraderError):
    """A model named by the rubric is neither a folder nor in the mirror or cache."""


@dataclass
class LocalModels:
    """Each model loaded once, on CPU, in evaluation mode."""

    base: Path  # the rubric's folder: model folders are relative to it
    mirror: Path | None = None  # a mirror root built by `grader mirror build`
    _loaded: dict[tuple[str, str], tuple[Any, Any]] = field(default_factory=dict)

    def _load(self, name: str, kind: str) -> tuple[Any, Any]:
        key = (kind, name)
        if key not in self._loaded:
            os.environ["HF_HUB_OFFLINE"] = "1"
            from transformers import (
                AutoModelForCausalLM,
                AutoModelForSequenceClassification,
                AutoTokenizer,
            )

            folder = self.base / name
            source = str(folder) if folder.is_dir() else name
            cache = str(self.mirror / "hub") if self.mirror is not None else None
            loader = (
                AutoModelForCausalLM if kind == "causal" else AutoModelForSequenceClassification
            )
            try:
                tokenizer = AutoTokenizer.from_pretrained(
                    source, cache_dir=cache, local_files_only=True
                )
                model = loader.from_pretrained(source, cache_dir=cache, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(
                    f"model {name!r}: not a folder next to the rubric, nor in the "
                    f"{'mirror ' + str(self.mirror) if self.mirror else 'Hugging Face cache'} "
                    f"({str(exc).splitlines()[0][:200]})"
                ) from None
            self._loaded[key] = (tokenizer, model.eval())
        return self._loaded[key]

    def check(self, name: str, kind: str) -> None:
        """Load the model now, so that a missing one stops the run before any scoring."""
        self._load(name, kind)

    def perplexity(self, name: str, text: str) -> float:
        """exp of the mean negative log-likelihood of each token of `text`, the first one
        predicted from the model's beginning-of-text token."""
        import torch

        tokenizer, model = self._load(name, "causal")
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else 0
        limit = int(getattr(model.config, "n_positions", 1024)) - 1
        ids = tokenizer(_encodable(text), add_special_tokens=False)["input_ids"][:limit]
        if not ids:
            return math.inf
        tokens = torch.tensor([[start, *ids]])
        with torch.inference_mode():
            loss = model(tokens, labels=tokens).loss
        return float(torch.exp(loss))

    def classify(self, name: str, text: str) -> dict[str, float]:
        """The probability of each of the classifier's labels (softmax of its logits)."""
        import torch

        tokenizer, model = self._load(name, "classifier")
        batch = tokenizer(_encodable(text), truncation=True, max_length=512, return_tensors="pt")
        with torch.inference_mode():
            probabilities = torch.softmax(model(**batch).logits[0], dim=-1)
        labels = model.config.id2label
        return {str(labels[i]): float(p) for i, p in enumerate(probabilities)}


def _encodable(text: str) -> str:
    """`text` with lone surrogates (which JSON can carry) replaced: Rust tokenizers refuse them."""
    return text.encode("utf-8", "replace").decode("utf-8")
