"""A package's public names, each imported from its module when first used.

`import grader` (or grader.quiz, grader.bench) then costs nothing until a name is used: the
command line lists and parses its commands before it imports what one of them runs. A package
declares {module: names} and sets `__getattr__ = lazy_exports(globals(), that mapping)`; a
package whose names other modules type-check against (grader's own) also imports them under
TYPE_CHECKING.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    namespace: dict[str, Any], modules: Mapping[str, tuple[str, ...]]
) -> Callable[[str], Any]:
    """The module `__getattr__` of a package whose `modules` hold its names."""
    home = {name: module for module, names in modules.items() for name in names}
    package = namespace["__name__"]

    def get(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home[name]), name)
        namespace[name] = value  # the next lookup is a plain one
        return value

    return get
