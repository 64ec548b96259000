"""The sandbox backends a user may name (`--sandbox`), apart from the sandbox itself: the
command line reads them before it parses its arguments, and must not import the boxes then."""

from __future__ import annotations

from typing import Literal, get_args

BackendName = Literal["auto", "bwrap", "landlock", "none"]
BACKEND_NAMES: tuple[BackendName, ...] = get_args(BackendName)
