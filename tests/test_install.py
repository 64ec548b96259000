"""grader installs by its PyPI name into a fresh virtual environment, and runs there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml

from grader.assignment.load import load_assignment
from grader.assignment.release import release
from tests.conftest import ROOT
from tests.test_selfcheck import small_course

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


def readme_ci_commands() -> dict[str, list[str]]:
    """The shell commands of the README's GitHub Actions workflow and GitLab CI job."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(text) for text in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    github = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
    gitlab = next(b for b in blocks if isinstance(b, dict) and "script" in b.get("verifier", {}))
    steps = [step for job in github["jobs"].values() for step in job["steps"]]
    return {
        "github": [step["run"] for step in steps if "run" in step],
        "gitlab": list(gitlab["verifier"]["script"]),
    }


@pytest.mark.kernel
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_readmes_ci_runs_in_a_student_repository(venv: Path, tmp_path: Path, ci: str) -> None:
    """The commands run as a script in the fresh venv (whose `pip install .` stands for the
    PyPI one), in a repository holding a released bundle: exit 1 and a JUnit file listing the
    failure when a public check fails, exit 0 when they pass."""
    commands = readme_ci_commands()[ci]
    assert commands[0] == "pip install llm-course-grader"
    script = "set -e\n" + "\n".join(commands[1:]).replace("tp-attention", "tp-double")
    bundle = release(load_assignment(small_course(tmp_path)), tmp_path / "repository")
    environment = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    environment.pop("PYTHONPATH", None)
    notebook = nbformat.read(bundle / "tp-double.ipynb", as_version=4)
    for source, code, failures in (("return 2 * x + 1", 1, "1"), ("return 2 * x", 0, "0")):
        notebook.cells[1].source = f"def double(x):\n    {source}"
        nbformat.write(notebook, bundle / "tp-double.ipynb")
        run = subprocess.run(
            ["bash", "-c", script], cwd=bundle, env=environment, capture_output=True, text=True
        )
        assert run.returncode == code, run.stdout + run.stderr
        suite = ET.parse(bundle / "junit.xml").getroot().find("testsuite")
        assert suite is not None and suite.get("failures") == failures
        assert "double.exemple" in run.stdout
