"""The Hugging Face hub cache layout, written by hand so that it resolves with no network.

    <hub>/models--<org>--<name>/blobs/<sha256>              file contents, stored once
    <hub>/models--<org>--<name>/snapshots/<revision>/<path>  relative symlinks to the blobs
    <hub>/models--<org>--<name>/refs/main                    the revision "main" points at

huggingface_hub, offline, reads refs/main and then the snapshot: no other file is needed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

DEFAULT_ROOT = Path.home() / ".cache" / "grader" / "mirror"  # unless --mirror names another


def repo_folder(repo_id: str) -> str:
    """Folder of a model repository in the cache: 'org/name' -> 'models--org--name'."""
    return "models--" + repo_id.replace("/", "--")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot_revision(hashes: Mapping[str, str]) -> str:
    """A 40-hex revision derived from the files, so that the same files give the same revision."""
    manifest = "".join(f"{path}\0{sha}\n" for path, sha in sorted(hashes.items()))
    return hashlib.sha1(manifest.encode("utf-8")).hexdigest()


def write_repo(
    repo_dir: Path, files: Mapping[str, Path], revision: str | None = None
) -> tuple[str, dict[str, int]]:
    """Write `files` (path in the repo -> file on disk) as one snapshot that refs/main points at.

    Returns (revision, size of each file). `repo_dir` must not exist yet.
    """
    hashes = {relative: file_sha256(source) for relative, source in files.items()}
    revision = revision or snapshot_revision(hashes)
    blobs = repo_dir / "blobs"
    snapshot = repo_dir / "snapshots" / revision
    blobs.mkdir(parents=True)
    sizes: dict[str, int] = {}
    for relative, source in sorted(files.items()):
        blob = blobs / hashes[relative]
        if not blob.exists():
            shutil.copyfile(source, blob)
        link = snapshot / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), link)
        sizes[relative] = blob.stat().st_size
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(revision, encoding="utf-8")
    return revision, sizes


def snapshot_files(repo_dir: Path) -> tuple[str, dict[str, Path]] | None:
    """(revision, files) of the snapshot that refs/main points at in an existing cache.

    Without refs/main, a single snapshot is taken as the one; None when there is none.
    """
    ref = repo_dir / "refs" / "main"
    snapshots = repo_dir / "snapshots"
    if ref.is_file():
        revision = ref.read_text(encoding="utf-8").strip()
    else:
        candidates = sorted(p.name for p in snapshots.iterdir()) if snapshots.is_dir() else []
        if len(candidates) != 1:
            return None
        revision = candidates[0]
    root = snapshots / revision
    if not root.is_dir():
        return None
    files = {
        path.relative_to(root).as_posix(): path.resolve()
        for path in sorted(root.rglob("*"))
        if path.is_file()  # follows the symlinks; a dangling one is skipped
    }
    return revision, files


def is_complete(repo_dir: Path, revision: str, sizes: Mapping[str, int]) -> bool:
    """Whether refs/main names `revision` and every file of it is there with its size."""
    ref = repo_dir / "refs" / "main"
    if not ref.is_file() or ref.read_text(encoding="utf-8").strip() != revision:
        return False
    snapshot = repo_dir / "snapshots" / revision
    for relative, size in sizes.items():
        path = snapshot / relative
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True
