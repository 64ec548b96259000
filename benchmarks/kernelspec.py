"""A Jupyter folder whose `python3` kernel is this interpreter, for the tools that benchmarks
compare grader with (nbgrader, nbconvert), each installed in a virtual environment of its own:
their kernels then run the same Python and libraries as grader's, and pay the same imports."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def this_interpreter(jupyter_path: Path) -> Path:
    """`jupyter_path`, holding the kernelspec; give it as JUPYTER_PATH."""
    kernels = jupyter_path / "kernels" / "python3"
    kernels.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kernels / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    return jupyter_path
