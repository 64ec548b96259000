"""Every shell command of the README runs, in a scratch copy of the bundled data.

The ```bash blocks are read in order and each command is run by bash in one scratch folder
holding copies of assignments/, rubrics/, quizzes/ and examples/, with `rendus/` (two students
of tp-attention, one of tp-perplexite) and a student's `tp-attention.ipynb`: what the README's
commands name. `grader` is this checkout's, run by the current interpreter. A command passes when
it exits 0, or 1 (some check failed, the documented exit code of a class with failing students),
and prints no traceback.

A block that cannot run here says why in an HTML comment on the line before it:
`<!-- readme-test: dry-run -->` (make targets that install: `make -n` shows they exist) or
`<!-- readme-test: REASON -->` with one of the REASONS below.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
REASONS = {
    "needs a Dask cluster",
    "needs a Moodle export",
    "needs an OpenAI-compatible endpoint",
    "needs a Hugging Face cache holding the real models",
    "runs the test suite",
    "serves a page until Ctrl-C",
    "installs from PyPI",
}
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<mark>[^>]*?) -->\n)?```bash\n(?P<body>.*?)```", re.S)


@dataclass(frozen=True)
class Command:
    line: int  # in the README
    text: str
    mark: str | None  # None: run it
    block: int  # the README's nth ```bash block


def commands(readme: str) -> list[Command]:
    """The README's shell commands: continuation lines joined, comment lines dropped."""
    found = []
    for number, block in enumerate(BLOCK.finditer(readme)):
        first = readme.count("\n", 0, block.start("body")) + 1
        joined = block["body"].replace("\\\n", " ")
        for offset, text in enumerate(joined.splitlines()):  # a joined line counts once
            if text.strip() and not text.lstrip().startswith("#"):
                found.append(Command(first + offset, text.strip(), block["mark"], number))
    return found


COMMANDS = commands(README.read_text(encoding="utf-8"))
TO_RUN = [c for c in COMMANDS if c.mark is None]


def test_every_block_is_run_or_says_why() -> None:
    marks = {c.mark for c in COMMANDS if c.mark not in (None, "dry-run")}
    assert marks <= REASONS, f"unknown readme-test reasons: {marks - REASONS}"
    assert len(TO_RUN) >= 10  # the parser finds the guide's commands


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c.mark == "dry-run"], ids=lambda c: f"line {c.line}"
)
def test_make_targets_exist(command: Command) -> None:
    words = shlex.split(command.text, comments=True)
    assert words[0] == "make", command.text
    dry = subprocess.run(["make", "-n", *words[1:]], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr


def scratch_copy(folder: Path) -> Path:
    for name in ("assignments", "rubrics", "quizzes", "examples"):
        shutil.copytree(ROOT / name, folder / name)
    examples = folder / "examples" / "submissions"
    (folder / "rendus" / "tp-perplexite").mkdir(parents=True)
    for student in ("alice", "bruno"):
        shutil.copy(examples / "tp-attention" / f"{student}.ipynb", folder / "rendus")
    shutil.copy(examples / "tp-perplexite" / "alice.ipynb", folder / "rendus" / "tp-perplexite")
    shutil.copy(examples / "tp-attention" / "bruno.ipynb", folder / "tp-attention.ipynb")
    return folder


def blocks_after(blocks: dict[int, list[Command]]) -> dict[int, set[int]]:
    """The blocks each block waits for: those that wrote (`--out`) a folder it names."""
    written = {
        n: set(re.findall(r"--out (\S+)", " ".join(c.text for c in cs))) for n, cs in blocks.items()
    }
    return {
        n: {m for m in blocks if m < n and any(out in c.text for c in cs for out in written[m])}
        for n, cs in blocks.items()
    }


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[int, subprocess.CompletedProcess[str]]:
    """Every command to run, in one scratch folder: a block's commands in order, blocks side by
    side unless one reads what another wrote (grading a class costs most of this test's time)."""
    folder = scratch_copy(tmp_path_factory.mktemp("readme"))
    grader = f'grader() {{ {shlex.quote(sys.executable)} -m grader "$@"; }}; '
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    blocks: dict[int, list[Command]] = {}
    for command in TO_RUN:
        blocks.setdefault(command.block, []).append(command)
    after = blocks_after(blocks)
    results: dict[int, subprocess.CompletedProcess[str]] = {}
    done: dict[int, Future[None]] = {}

    def run_block(number: int) -> None:
        for waited in after[number]:
            done[waited].result()
        for command in blocks[number]:
            results[command.line] = subprocess.run(
                ["bash", "-c", grader + command.text],
                cwd=folder,
                env=environment,
                capture_output=True,
                text=True,
                timeout=900,
            )

    with ThreadPoolExecutor(max_workers=3) as pool:  # waiting blocks come after their own
        for number in blocks:
            done[number] = pool.submit(run_block, number)
    for future in done.values():
        future.result()
    return results


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("command", TO_RUN, ids=lambda c: f"line {c.line}")
def test_readme_command_runs(
    command: Command, ran: dict[int, subprocess.CompletedProcess[str]]
) -> None:
    done = ran[command.line]
    said = done.stdout[-2000:] + done.stderr[-2000:]
    assert done.returncode in (0, 1), f"README line {command.line}: {command.text}\n{said}"
    assert "Traceback" not in done.stderr, f"README line {command.line}: {command.text}\n{said}"
