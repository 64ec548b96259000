"""Figures for the references and the offline mirror: how long they take, printed, not asserted.

python benchmarks/bench_refs_mirror.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.mirror import build_mirror, mirror_env
from grader.references.bpe import ByteLevelBPE, train_bpe
from grader.references.lm import trigram_perplexity
from grader.references.tokenization import gpt2_merges, gpt2_tokenizer

LOAD_GPT2 = (
    "from transformers import AutoModelForCausalLM, AutoTokenizer;"
    "AutoTokenizer.from_pretrained('gpt2'); AutoModelForCausalLM.from_pretrained('gpt2')"
)

FRENCH_WORDS = (
    "le la les un une des modèle modèles langage langue attention tête têtes jeton jetons "
    "apprentissage internationalisation transformeur génération décodage perplexité "
    "température probabilité entropie phrase mot mots chat chien dort mange"
)


def timed(label: str, action: object) -> object:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    print(f"{label:<52} {time.perf_counter() - start:8.3f} s")
    return result


def disk_usage(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def french_text(words: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    vocabulary = FRENCH_WORDS.split()
    return " ".join(rng.choice(vocabulary, size=words))


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "mirror"
        timed(
            "mirror build, cold (3 models)",
            lambda: build_mirror(
                ["gpt2", "sentence-transformers/all-MiniLM-L6-v2", "grader/tiny-bert"], root
            ),
        )
        timed(
            "mirror build, warm (all reused)",
            lambda: build_mirror(
                ["gpt2", "sentence-transformers/all-MiniLM-L6-v2", "grader/tiny-bert"], root
            ),
        )
        print(f"{'mirror size on disk':<52} {disk_usage(root) / 2**20:8.1f} MiB")
        env = {**mirror_env(root), "PATH": os.environ["PATH"], "HOME": scratch}
        timed(
            "load gpt2 tokenizer + model offline (new process)",
            lambda: subprocess.run(
                [sys.executable, "-c", LOAD_GPT2], env=env, check=True, capture_output=True
            ),
        )

    text = french_text(20_000)
    timed("train_bpe, 20,000 words, 200 merges", lambda: train_bpe(text, 200))
    encoder = ByteLevelBPE(tuple(gpt2_merges()), ("<|endoftext|>",))
    sample = french_text(5_000, seed=1)
    timed("byte-level encode with GPT-2's merges, 5,000 words", lambda: encoder.tokenize(sample))
    tokenizer = gpt2_tokenizer()
    timed("real GPT-2 tokenizer (Rust), 5,000 words", lambda: tokenizer.tokenize(sample))
    sentences = [french_text(12, seed=s) for s in range(2_000)]
    timed(
        "trigram perplexity, 1,800 train / 200 test sentences",
        lambda: trigram_perplexity(sentences[:1800], sentences[1800:], k=0.5),
    )


if __name__ == "__main__":
    main()
