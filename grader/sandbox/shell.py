"""Shell escapes and shell magics, which a notebook cannot run in the box, are skipped.

Colab-style notebooks start with `!pip install ...` or `%%bash` cells: in the box there is no
network, no terminal and nothing to install (the course's packages are there already), so the
commands only failed, with errors such as "out of pty devices" that cost the student points for
nothing. Before the first cell, the kernel gets IPython's shell entry points replaced by
no-ops: the Python of the cell around the command still runs. The report says it in one line,
for the cells whose source holds such a command (`shell_cells`).
"""

from __future__ import annotations

import ast
from functools import cache
from typing import Any, TypeGuard

from grader.messages import say

LINE_MAGICS = ("pip", "conda", "mamba", "sx", "system", "sc")
CELL_MAGICS = ("bash", "sh", "script", "shell", "system", "sx")

SKIPPED_MESSAGE = say("shell.skipped")

# Run silently in the kernel before any cell: `!cmd`, `x = !cmd` and the magics above do nothing.
KERNEL_SETUP = f"""
def _grader_without_shell(shell):
    from IPython.utils.text import SList

    def skip(*args, **kwargs):
        return None

    shell.system = shell.system_raw = shell.system_piped = skip
    shell.getoutput = lambda *args, **kwargs: SList()
    for name in {LINE_MAGICS!r}:
        shell.register_magic_function(skip, "line", name)
    for name in {CELL_MAGICS!r}:
        shell.register_magic_function(skip, "cell", name)


_grader_without_shell(get_ipython())
del _grader_without_shell
"""


@cache
def _transformer() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager  # slow to import: ~1 s

    return TransformerManager()  # type: ignore[no-untyped-call]


def runs_shell(source: str, depth: int = 0) -> bool:
    """Whether a cell's source holds a shell escape or a shell magic (inside `%%capture` too)."""
    try:
        tree = ast.parse(_transformer().transform_cell(source))
    except (SyntaxError, ValueError):
        return False  # not Python: the kernel says so when the cell runs
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _on_shell(node.func)):
            continue
        method, args = node.func.attr, node.args
        name = args[0].value if args and isinstance(args[0], ast.Constant) else None
        if method in ("system", "getoutput"):
            return True
        if method == "run_line_magic" and name in LINE_MAGICS:
            return True
        if method == "run_cell_magic" and name in CELL_MAGICS:
            return True
        body = args[2] if method == "run_cell_magic" and len(args) == 3 else None
        if (
            isinstance(body, ast.Constant)
            and isinstance(body.value, str)
            and depth < 4
            and runs_shell(body.value, depth + 1)
        ):
            return True
    return False


def _on_shell(function: ast.expr) -> TypeGuard[ast.Attribute]:
    """`get_ipython().<method>`: what IPython turns `!`, `%` and `%%` into."""
    return (
        isinstance(function, ast.Attribute)
        and isinstance(function.value, ast.Call)
        and isinstance(function.value.func, ast.Name)
        and function.value.func.id == "get_ipython"
    )
