"""grader installs by its PyPI name into a fresh virtual environment, and runs there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (seeing the system's torch) where `pip install .` put a copy of the repo."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"  # a copy: pip's build leaves build/ and *.egg-info behind
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(ROOT / "grader", source / "grader", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    env = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", env], check=True)
    subprocess.run(
        [env / "bin" / "pip", "install", "-q", str(source)], check=True, timeout=900, cwd=base
    )
    return env


def test_pip_install_gives_the_grader_command_under_the_new_name(venv: Path) -> None:
    version = subprocess.run(
        [venv / "bin" / "grader", "--version"], capture_output=True, text=True, cwd=venv
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "grader (llm-course-grader) 0.1.0"
    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import grader; print(grader.__file__)"],
        capture_output=True,
        text=True,
        cwd=venv,
    )
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
