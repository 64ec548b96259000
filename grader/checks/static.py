"""Static checks on the submitted source, in the grader process: what does a function call?"""

from __future__ import annotations

import ast
from functools import lru_cache


def notebook_source(cells: list[str]) -> str:
    """The code cells as one Python module: magics turned into Python, unparsable cells left out."""
    from IPython.core.inputtransformer2 import TransformerManager  # slow to import: ~1 s

    transformer = TransformerManager()  # type: ignore[no-untyped-call]
    parts = []
    for cell in cells:
        try:
            code = transformer.transform_cell(cell)
            ast.parse(code)
        except (SyntaxError, ValueError):
            continue
        parts.append(code)
    return "\n".join(parts)


def dotted_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return None


@lru_cache(maxsize=8)
def _module(source: str) -> ast.Module:
    """The source parsed once per submission, however many static checks read it (read-only)."""
    return ast.parse(source)


def definitions(source: str, name: str) -> list[ast.AST]:
    """Every function or class called `name` in the source (a later cell may redefine it)."""
    return [
        node
        for node in ast.walk(_module(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.name == name
    ]


def import_aliases(source: str) -> dict[str, str]:
    """Local name -> full dotted name, from the imports: `F` -> `torch.nn.functional`."""
    aliases: dict[str, str] = {}
    for node in ast.walk(_module(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def names_used(source: str, name: str) -> set[str]:
    """Full dotted names referenced inside the definitions of `name`, imports resolved."""
    aliases = import_aliases(source)
    used: set[str] = set()
    for definition in definitions(source, name):
        for node in ast.walk(definition):
            if isinstance(node, ast.Attribute | ast.Name):
                dotted = dotted_name(node)
                if dotted:
                    head, _, rest = dotted.partition(".")
                    full = aliases.get(head, head)
                    used.add(f"{full}.{rest}" if rest else full)
    return used


def forbidden_uses(source: str, name: str, forbidden: list[str]) -> list[str]:
    """Which of `forbidden` (full dotted names) the definition of `name` refers to.

    A name matches on its root package and its last component, so that re-exports count:
    `torch.nn.functional.scaled_dot_product_attention` also catches `torch._C._nn.scaled_dot_...`.
    """
    used = names_used(source, name)
    found = []
    for target in forbidden:
        root, leaf = target.split(".")[0], target.split(".")[-1]
        if any(u == target or (u.split(".")[0] == root and u.split(".")[-1] == leaf) for u in used):
            found.append(target)
    return found
