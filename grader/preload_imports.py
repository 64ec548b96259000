"""The assignment's `preload:` libraries imported into the grader's own process in the
background, while a kernel starts: the checks' references need them too."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections.abc import Sequence

_imports_lock = threading.Lock()
_last_import: threading.Thread | None = None  # this process's latest import_in_background


def import_in_background(modules: Sequence[str]) -> threading.Thread:
    """Import the assignment's `preload:` libraries into this process while the kernel starts
    and runs the cells: the checks' references use them too, and the kernel meanwhile imports
    its own copy on another core (a grader worker forked from the warm parent has them already).
    A module that fails to import here fails the check that needs it, as it would have.

    Each call's thread first waits for the previous call's: once joined, no import that any
    caller started is still under way (a module being imported is already in sys.modules)."""
    global _last_import

    def import_all(previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()
        for name in modules:
            if name not in sys.modules:
                with contextlib.suppress(Exception):
                    importlib.import_module(name)

    with _imports_lock:
        thread = threading.Thread(target=import_all, args=(_last_import,), name="grader-preload")
        _last_import = thread
        thread.start()
    return thread
