"""`@reference`: an expensive reference value computed once per grading run and input.

    @reference
    def minilm_attentions(sentence):
        model = BertModel.from_pretrained(minilm_model_dir(), attn_implementation="eager")
        return model_attention_weights(model, minilm_tokenizer(), sentence)

A batch grades its submissions in several worker processes. Each call of a `@reference`
function looks for its value, keyed by the function and its arguments, first in the process,
then in the run's reference store, a private folder of the grading machine that no kernel sees;
it computes the value only when neither has it. The first process to need a value computes it
while the others wait for it (a lock file per value), so a model is loaded and run once per
run, not once per worker. Values and arguments must pickle: arrays, tensors, numbers, strings,
lists, tuples, dicts.

Outside a batch (`grader check`, `grader validate`) there is no store and the value is kept in
the process; so it is on a Dask worker of another machine, where the run's store does not exist.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import pickle
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

IN_PROCESS = 64  # values kept in each process, the most recently used ones

_store: ContextVar[Path | None] = ContextVar("grader_reference_store", default=None)


def reference(function: Callable[P, R]) -> Callable[P, R]:
    """Compute `function`'s value once per run and arguments (see the module's docstring)."""
    name = f"{function.__module__}.{function.__qualname__}"
    kept: OrderedDict[str, Any] = OrderedDict()
    lock = threading.RLock()  # threads of one process (a Dask worker's) compute it once too

    @functools.wraps(function)
    def cached(*args: P.args, **kwargs: P.kwargs) -> R:
        key = _key(name, args, kwargs)
        with lock:
            if key in kept:
                kept.move_to_end(key)
                return kept[key]  # type: ignore[no-any-return]
            store = _store.get()
            if store is None:
                value = function(*args, **kwargs)
            else:
                value = _through_store(store, key, name, lambda: function(*args, **kwargs))
            kept[key] = value
            while len(kept) > IN_PROCESS:
                kept.popitem(last=False)
            return value

    return cached


def _key(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    try:
        arguments = pickle.dumps((args, sorted(kwargs.items())), protocol=5)
    except Exception as exc:
        raise TypeError(f"@reference {name}: its arguments cannot be pickled ({exc})") from None
    return hashlib.sha256(name.encode() + b"\0" + arguments).hexdigest()


def _through_store(store: Path, key: str, name: str, compute: Callable[[], R]) -> R:
    """The stored value, or the one computed under the key's lock and stored for the others."""
    value_path = store / f"{key}.pickle"
    with open(store / f"{key}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be computing it: wait for it
        try:
            if value_path.exists():
                return pickle.loads(value_path.read_bytes())  # type: ignore[no-any-return]
            value = compute()
            try:
                data = pickle.dumps(value, protocol=5)
            except Exception as exc:
                raise TypeError(
                    f"@reference {name}: its value cannot be pickled ({exc}); return arrays, "
                    "tensors, numbers, strings, lists, tuples or dicts"
                ) from None
            partial = value_path.with_suffix(".tmp")
            partial.write_bytes(data)
            os.replace(partial, value_path)
            return value
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def run_store() -> Iterator[Path]:
    """A new reference store for one grading run: a private folder, removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="grader-references-"))  # 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def using_store(store: Path | None) -> Iterator[None]:
    """`@reference` values of the calls made in this block go through `store`, when this process
    can use it (a Dask worker on another machine cannot: its values stay in the process)."""
    usable = store is not None and os.access(store, os.R_OK | os.W_OK | os.X_OK)
    token = _store.set(store if usable else None)
    try:
        yield
    finally:
        _store.reset(token)
