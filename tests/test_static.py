"""Static checks see the whole notebook, in the grader process: every way the student's function
can reach a forbidden library function counts, and where the analysis cannot tell, a use."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from grader.checks import expect
from grader.checks.api import CheckFailed
from grader.checks.static import forbidden_uses, notebook_source

SDPA, MHA = "torch.nn.functional.scaled_dot_product_attention", "torch.nn.MultiheadAttention"
FORBIDDEN = [SDPA, MHA]
F = "import torch.nn.functional as F\n"


def uses(source: str) -> list[tuple[str, tuple[str, ...], bool]]:
    return [(u.target, u.chain, u.dynamic) for u in forbidden_uses(source, "f", FORBIDDEN)]


@pytest.mark.parametrize(
    "source",
    [
        F + "def f(q):\n    return F.scaled_dot_product_attention(q, q, q)",
        "from torch.nn.functional import scaled_dot_product_attention as sdpa\n"
        "def f(q):\n    return sdpa(q, q, q)",
        "import torch\ndef f(q):\n    return torch.nn.functional.scaled_dot_product_attention(q)",
        "import torch.nn.functional as G\ndef f(q):\n    return G.scaled_dot_product_attention(q)",
        # A module-level alias, a tuple's, a container's, a global set from a function.
        F + "sdpa = F.scaled_dot_product_attention\ndef f(q):\n    return sdpa(q, q, q)",
        F + "s, t = F.scaled_dot_product_attention, 1\ndef f(q):\n    return s(q, q, q)",
        F + "fns = [F.softmax, F.scaled_dot_product_attention]\ndef f(q):\n    return fns[1](q)",
        F + "def setup():\n    global s\n    s = F.scaled_dot_product_attention\n"
        "def f(q):\n    return s(q, q, q)",
        # The function's name bound to the library (a later cell), a lambda.
        "from torch.nn.functional import scaled_dot_product_attention as f",
        F + "f = lambda q: F.scaled_dot_product_attention(q, q, q)",
        # Looked up by a constant name: getattr, vars, __dict__, sys.modules, imports by name.
        F + "def f(q):\n    return getattr(F, 'scaled_dot_product_attention')(q, q, q)",
        F + "def f(q):\n    return vars(F)['scaled_dot_product_attention'](q, q, q)",
        F + "def f(q):\n    return F.__dict__['scaled_dot_product_attention'](q, q, q)",
        "import sys\ndef f(q):\n"
        "    return sys.modules['torch.nn.functional'].scaled_dot_product_attention(q)",
        "def f(q):\n    return __import__('torch').nn.functional.scaled_dot_product_attention(q)",
        "from importlib import import_module as im\ndef f(q):\n"
        "    return im('torch.nn.functional').scaled_dot_product_attention(q)",
        # A parameter's default, a star import, a name stored into the builtins or the globals.
        F + "def f(q, m=F):\n    return getattr(m, 'scaled_dot_product_attention')(q, q, q)",
        "from torch.nn.functional import *\ndef f(q):\n    return scaled_dot_product_attention(q)",
        "import builtins\n" + F + "builtins.s = F.scaled_dot_product_attention\n"
        "def f(q):\n    return s(q, q, q)",
        F + "globals()['s'] = F.scaled_dot_product_attention\ndef f(q):\n    return s(q, q, q)",
        F + "setattr(__builtins__, 's', F.scaled_dot_product_attention)\n"
        "def f(q):\n    return s(q, q, q)",
        # Code in a constant string: exec, eval, a cell magic's body.
        "exec('"
        + F.replace("\n", "\\n")
        + "def f(q):\\n    return F.scaled_dot_product_attention(q)')",
        F + "def f(q):\n    return eval('F.scaled_dot_product_attention')(q, q, q)",
    ],
)
def test_a_use_of_the_library_from_the_function_counts(source: str) -> None:
    assert uses(source) == [(SDPA, ("f",), False)]


@pytest.mark.parametrize(
    ("source", "chain"),
    [
        (
            F + "def _h(q):\n    return F.scaled_dot_product_attention(q, q, q)\n"
            "def f(q):\n    return _h(q)",
            ("f", "_h"),
        ),
        (
            F + "def _g(q):\n    return F.scaled_dot_product_attention(q, q, q)\n"
            "def _h(q):\n    return _g(q)\ndef f(q):\n    return _h(q)",
            ("f", "_h", "_g"),
        ),
        (
            "import torch\nclass Aide:\n    def run(self, q):\n"
            "        return torch.nn.functional.scaled_dot_product_attention(q, q, q)\n"
            "def f(q):\n    return Aide().run(q)",
            ("f", "Aide"),
        ),
        (
            F + "aide = lambda q: F.scaled_dot_product_attention(q, q, q)\n"
            "def f(q):\n    return aide(q)",
            ("f", "aide"),
        ),
        (
            "get_ipython().run_cell_magic('capture', '', '"
            + F.replace("\n", "\\n")
            + "def _h(q):\\n    return F.scaled_dot_product_attention(q, q, q)\\n')\n"
            "def f(q):\n    return _h(q)",
            ("f", "_h"),
        ),
    ],
)
def test_a_use_through_helpers_names_the_chain(source: str, chain: tuple[str, ...]) -> None:
    assert uses(source) == [(SDPA, chain, False)]


def test_a_nested_function_and_a_class_base_count() -> None:
    nested = F + "def f(q):\n    def inner(x):\n        return F.scaled_dot_product_attention(x)\n"
    assert uses(nested + "    return inner(q)") == [(SDPA, ("f",), False)]
    base = "import torch\nclass f(torch.nn.MultiheadAttention):\n    pass"
    assert uses(base) == [(MHA, ("f",), False)]


@pytest.mark.parametrize(
    "source",
    [
        F + "def f(q):\n    return getattr(F, 'scaled_' + 'dot_product_attention')(q, q, q)",
        F + "def f(q, name='scaled_dot'):\n    return vars(F)[name + '_product_attention'](q)",
        "import torch\ndef f(q):\n    return getattr(torch.nn, 'functional').__dict__[str(q)](q)",
        "import operator\n"
        + F
        + "def f(q):\n    return operator.attrgetter('scaled_dot_product_attention')(F)(q)",
    ],
)
def test_dynamic_access_to_the_forbidden_module_counts(source: str) -> None:
    assert uses(source) == [(SDPA, ("f",), True)]


@pytest.mark.parametrize(
    "source",
    [
        "import importlib\ndef f(q, m='torch.nn.' + 'functional'):\n"
        "    return importlib.import_module(m).x(q)",
        "import sys\ndef f(q, m='torch'):\n    return sys.modules[m].x(q)",
    ],
)
def test_an_import_named_at_run_time_counts_for_every_name(source: str) -> None:
    assert uses(source) == [(SDPA, ("f",), True), (MHA, ("f",), True)]


@pytest.mark.parametrize(
    "code",
    [
        "import base64\nexec(base64.b64decode('ZGVm'))",
        "run = exec\nrun(input())",
        "exec('run = eval')\nrun(input())",
        "import builtins\ngetattr(builtins, 'ex' + 'ec')(input())",
        "globals()[input()] = print",
        "globals().update({input(): print})",
    ],
)
def test_code_known_only_at_run_time_anywhere_counts(code: str) -> None:
    assert uses(code + "\ndef f(q):\n    return q") == [(SDPA, (), True), (MHA, (), True)]


@pytest.mark.parametrize(
    "source",
    [
        "def f(q):\n    return q" + ".a" * 5000,
        "def f(q):\n    return q\n" + "x = [1, 2, 3, 4, 5, 6, 7, 8, 9]\n" * 5_000,
    ],
)
def test_code_too_deep_or_too_large_to_analyse_counts(source: str) -> None:
    assert uses(source) == [(SDPA, (), True), (MHA, (), True)]
    with pytest.raises(CheckFailed, match=r"^le code du notebook est trop volumineux ou trop "):
        expect.no_library_call(SimpleNamespace(source=source), "f", [SDPA])


@pytest.mark.parametrize(
    "source",
    [
        F + "def f(q):\n    return F.softmax(q @ q.T, dim=-1)",
        # Used outside the function under scrutiny: allowed (e.g. to compare in a demo cell).
        F + "def f(q):\n    return q\nF.scaled_dot_product_attention(1, 2, 3)",
        F + "def f(q):\n    return q\nattendu = F.scaled_dot_product_attention(q, q, q)",
        # A local variable of the same name as a module-level one that uses the library.
        F + "attendu = F.scaled_dot_product_attention(1, 2, 3)\n"
        "def f(q):\n    attendu = 2 * q\n    return attendu",
        # A helper that is not reached; `model.eval()`, `torch.compile`, `re.compile`.
        F + "def demo(q):\n    return F.scaled_dot_product_attention(q)\n"
        "def f(q, model=None):\n    model.eval()\n    return q",
        "import torch, re\ndef f(q):\n    return torch.compile(re.compile('x'))",
    ],
)
def test_legitimate_code_passes(source: str) -> None:
    assert uses(source) == []


def test_the_method_of_a_parameter_resolves_through_aliases() -> None:
    source = "def f(model, ids):\n    m = model\n    return getattr(m, 'gene' + 'rate')(ids)"
    found = forbidden_uses(source, "f", ["model.generate"])
    assert [(u.code, u.dynamic) for u in found] == [("getattr(m, 'gene' + 'rate')", True)]
    assert forbidden_uses("def f(model):\n    return model(1)", "f", ["model.generate"]) == []
    helper = "def _gen(m, ids):\n    return m.generate(ids)\ndef f(model, ids):\n    return _gen(model, ids)"
    found = forbidden_uses(helper, "f", ["model.generate"])
    assert [(u.chain, u.code, u.dynamic) for u in found] == [(("f", "_gen"), "m.generate", False)]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            F + "def _aide(q):\n    return F.scaled_dot_product_attention(q, q, q)\n"
            "def f(q):\n    return _aide(q)",
            "`f` appelle `_aide`, qui appelle `F.scaled_dot_product_attention` "
            "au lieu de l'implémenter",
        ),
        (
            F + "s = F.scaled_dot_product_attention\ndef f(q):\n    return s(q)",
            "`f` appelle `s` (c'est-à-dire `torch.nn.functional.scaled_dot_product_attention`) "
            "au lieu de l'implémenter",
        ),
        (
            F + "def f(q, n='x'):\n    return getattr(F, n)(q)",
            "`f` accède dynamiquement à `getattr(F, n)` : compté comme un appel à "
            "`scaled_dot_product_attention`, que l'analyse ne peut pas exclure",
        ),
        (
            "exec(input())\ndef f(q):\n    return q",
            "le notebook exécute du code connu seulement à l'exécution (`exec(input())`) : "
            "compté comme un appel à `scaled_dot_product_attention`, que l'analyse ne peut pas "
            "exclure",
        ),
    ],
)
def test_the_message_says_how_the_function_reaches_the_library(source: str, message: str) -> None:
    with pytest.raises(CheckFailed) as failed:
        expect.no_library_call(SimpleNamespace(source=source), "f", [SDPA])
    assert failed.value.message == message


def test_notebook_source_turns_magics_into_python_and_skips_broken_cells() -> None:
    source = notebook_source(["%matplotlib inline\nx = 1", "def broken(:", "!ls", "y = 2"])
    assert "run_line_magic('matplotlib', 'inline')" in source
    assert "broken" not in source and "y = 2" in source
