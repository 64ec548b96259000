"""Static checks on the submitted source, in the grader process: what can a function reach?

`forbidden_uses(source, name, forbidden)` answers "does the student's `name` use a library
function it is meant to reimplement?" over the whole notebook, not only inside `name`:

- the walk starts at every binding of `name` (def, class, assignment, lambda, import) and follows
  every name the code it walks refers to and the notebook binds: helper functions, classes (all
  their methods, bases and decorators), nested functions, lambdas, module-level assignments;
- a name is resolved to full dotted names through the imports (`F` -> `torch.nn.functional`, at
  any depth, star imports included) and the assignments (`sdpa = F.scaled_dot_product_attention`,
  a parameter's default value), through `getattr(x, "constant")`, `vars(x)["constant"]`,
  `x.__dict__["constant"]`, `sys.modules["constant"]`, `__import__("constant")` and
  `importlib.import_module("constant")`;
- code in constant strings given to exec, eval, compile or a cell magic is parsed and read like
  the rest of the notebook.

Where it cannot know, it counts a use (conservative), and says so in the student's message:
- a `getattr` (or `vars(x)[...]`, `x.__dict__[...]`) with a non-constant name on something whose
  full name is a prefix of a forbidden name (`torch`, `F`, `model` for `model.generate`);
- an import of a module named at run time (`__import__`, `importlib.import_module`,
  `sys.modules[...]` with a non-constant name) in the code walked;
- exec, eval or compile of a non-constant string anywhere in the notebook (it may define or
  replace any function), and code too deeply nested to be analysed;
- a string in the code walked that is exactly a forbidden function's name
  (`operator.attrgetter("scaled_dot_product_attention")`).
A forbidden name whose root the notebook never imports is a method (`model.generate`): any
attribute of that name counts (`m.generate`, `m` a helper's parameter).
Resolution is flow-insensitive: every assignment to a name counts, whichever runs last.
Files beside the notebook (a module the notebook imports, a script `%run` runs) are not read.
"""

from __future__ import annotations

import ast
from collections import defaultdict, deque
from dataclasses import dataclass, field
from functools import lru_cache

ANY = "*"  # a dotted name that may be anything: an import named at run time
CODE_RUNNERS = frozenset({"exec", "eval", "compile"})  # and the same in builtins
CODE_METHODS = {"run_cell": 0, "run_cell_magic": 2}  # get_ipython() methods: the code's argument
IMPORTERS = frozenset({"__import__", "importlib.import_module", "builtins.__import__"})
NAMESPACES = frozenset({"builtins", "__builtins__", "__main__"})  # where a store binds a name
MAX_CODE_DEPTH = 8  # exec("exec('...')"): nesting followed at most
MAX_NODES = 50_000  # syntax nodes analysed at most (the course's largest notebook has 1,060)
MAX_VISITS = 4 * MAX_NODES  # a nested function is walked with its parent and on its own


class _TooLarge(Exception):
    """The notebook's code is too large or too deeply nested to be analysed."""


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


@dataclass(frozen=True)
class Use:
    """A forbidden name reachable from the student's function, and how."""

    target: str  # the forbidden full name, as the check lists it
    chain: tuple[str, ...]  # the student's names from the function to the one that uses it
    code: str  # the code of the use, as written: `F.scaled_dot_product_attention`
    dynamic: bool  # counted because the analysis cannot rule it out


@dataclass(eq=False)
class _Scope:
    """Names bound in a function (or the module): name -> the values that may be bound."""

    parent: _Scope | None
    bindings: dict[str, list[_Binding]] = field(default_factory=lambda: defaultdict(list))
    star_imports: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class _Binding:
    node: ast.AST | None  # a def or class, a value expression; None for an opaque parameter
    scope: _Scope  # where `node` is evaluated
    imported: str | None = None  # the full dotted name of an import


def _constant_text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Notebook:
    """The notebook's source parsed once: its scopes, bindings and the code in its strings."""

    def __init__(self, source: str) -> None:
        self.module = _Scope(None)
        self.scope_of: dict[int, _Scope] = {}  # id(node) -> the scope it is evaluated in
        self.code_in: dict[int, ast.Module] = {}  # id(exec call) -> the code it runs
        self.dynamic_code: list[str] = []  # code that runs or binds what is known at run time only
        self._resolved: dict[tuple[int, str], set[str]] = {}
        self.imported_roots: set[str] = set()  # the packages the notebook imports from
        self._calls: list[tuple[ast.Call, int]] = []
        self._index(ast.parse(source), self.module, depth=0)
        self._index_all_code()

    # -- indexing ------------------------------------------------------------------------------

    def _index(self, tree: ast.AST, scope: _Scope, depth: int) -> None:
        """Record each node's scope and each binding, iteratively (hostile code nests deep)."""
        pending: list[tuple[ast.AST, _Scope]] = [(tree, scope)]
        while pending:
            node, where = pending.pop()
            if len(self.scope_of) >= MAX_NODES:
                raise _TooLarge
            self.scope_of[id(node)] = where
            inner = self._bind(node, where)
            if isinstance(node, ast.Call):
                self._calls.append((node, depth))
            body = _function_body(node)
            for child in ast.iter_child_nodes(node):
                pending.append((child, inner if id(child) in body else where))

    def _bind(self, node: ast.AST, scope: _Scope) -> _Scope:
        """Bind what `node` binds in `scope`; the scope of its body (a new one for a function)."""
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            if not isinstance(node, ast.Lambda):
                scope.bindings[node.name].append(_Binding(node, scope))
            return self._function_scope(node, scope)
        if isinstance(node, ast.ClassDef):
            scope.bindings[node.name].append(_Binding(node, scope))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind_target(target, node.value, scope)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and node.value:
            self._bind_target(node.target, node.value, scope)
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            self._bind_target(node.target, node.iter, scope)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._bind_target(node.optional_vars, node.context_expr, scope)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            self._bind_import(node, scope)
        elif isinstance(node, ast.Call) and _is_namespace_store(node):
            self._bind_by_call(node, scope)
        elif isinstance(node, ast.Global):
            for name in node.names:  # from now on one list, whatever was indexed first
                self.module.bindings[name].extend(scope.bindings.pop(name, []))
                scope.bindings[name] = self.module.bindings[name]
        return scope

    def _function_scope(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, parent: _Scope
    ) -> _Scope:
        """A function's scope: its parameters bound to their defaults."""
        scope = _Scope(parent)
        arguments = node.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        pairs = [
            *zip(positional, [*defaults, *arguments.defaults], strict=True),
            *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
            *((a, None) for a in (arguments.vararg, arguments.kwarg) if a is not None),
        ]
        for argument, default in pairs:
            scope.bindings[argument.arg].append(_Binding(default, parent))
        return scope

    def _bind_target(self, target: ast.expr, value: ast.expr, scope: _Scope) -> None:
        """`a, b = v` binds both to all of v; `x.y = v` and `x[k] = v` bind x to v (it holds v)."""
        if isinstance(target, ast.Name):
            scope.bindings[target.id].append(_Binding(value, scope))
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._bind_target(element, value, scope)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, value, scope)
        elif isinstance(target, ast.Attribute | ast.Subscript) and _is_namespace(target.value):
            key = target.attr if isinstance(target, ast.Attribute) else _constant_text(target.slice)
            self._bind_global(key, value, scope, ast.unparse(target))
        elif isinstance(target, ast.Attribute | ast.Subscript):
            root: ast.expr = target
            while isinstance(root, ast.Attribute | ast.Subscript):
                root = root.value
            if isinstance(root, ast.Name):
                scope.bindings[root.id].append(_Binding(value, scope))

    def _bind_by_call(self, call: ast.Call, scope: _Scope) -> None:
        """`setattr(builtins, "f", v)`, `globals().update(f=v)`: a binding of a global name."""
        if isinstance(call.func, ast.Name):  # setattr(namespace, name, value)
            name = _constant_text(call.args[1]) if len(call.args) == 3 else None
            value = call.args[2] if len(call.args) == 3 else call
            self._bind_global(name, value, scope, ast.unparse(call))
            return
        for keyword in call.keywords:
            self._bind_global(keyword.arg, keyword.value, scope, ast.unparse(call))
        for argument in call.args:
            self._bind_global(None, argument, scope, ast.unparse(call))

    def _bind_global(self, name: str | None, value: ast.expr, scope: _Scope, code: str) -> None:
        if name is None:
            self.dynamic_code.append(code)
        else:
            self.module.bindings[name].append(_Binding(value, scope))

    def _bind_import(self, node: ast.Import | ast.ImportFrom, scope: _Scope) -> None:
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        self.imported_roots |= {m.partition(".")[0] for m in modules if m}
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.partition(".")[0]
                full = alias.name if alias.asname else local
                scope.bindings[local].append(_Binding(None, scope, imported=full))
            return
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                scope.star_imports.append(module)
            else:
                full = f"{module}.{alias.name}"
                scope.bindings[alias.asname or alias.name].append(
                    _Binding(None, scope, imported=full)
                )

    def _index_all_code(self) -> None:
        """Each call that runs code, until none is found: exec'd code may bind `e = exec`."""
        runs_code: set[int] = set()
        for _ in range(MAX_CODE_DEPTH + 1):
            self._resolved.clear()  # new bindings: names resolve anew
            found = [c for c in self._calls if id(c[0]) not in runs_code and self._index_code(*c)]
            runs_code |= {id(call) for call, _ in found}
            if not found:
                return

    def _index_code(self, call: ast.Call, depth: int) -> bool:
        """exec("..."): the code in the string is the notebook's too; exec(x) is unknowable.

        Whether `call` runs code.
        """
        argument = self._code_argument(call)
        if argument is None:
            return False
        text = _constant_text(argument)
        if text is None or depth >= MAX_CODE_DEPTH:
            self.dynamic_code.append(ast.unparse(call))
            return True
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return True  # it fails in the kernel as well
        self.code_in[id(call)] = tree
        self._index(tree, self.module, depth + 1)
        return True

    def _code_argument(self, call: ast.Call) -> ast.expr | None:
        """The argument holding code, when `call` runs code (exec, eval, a cell magic...)."""
        unknown = ast.Name("unknown")
        if isinstance(call.func, ast.Attribute) and call.func.attr in CODE_METHODS:
            position = CODE_METHODS[call.func.attr]
            return call.args[position] if len(call.args) > position else unknown
        for function in self.resolve(call.func, self.scope_of[id(call)]):
            head, _, leaf = function.rpartition(".")
            if function in CODE_RUNNERS or (head in NAMESPACES and leaf in CODE_RUNNERS):
                return call.args[0] if call.args else unknown
            if head in NAMESPACES and leaf == ANY:
                return unknown  # getattr(builtins, name)(...): may be exec
        return None

    # -- resolution ----------------------------------------------------------------------------

    def lookup(self, name: str, scope: _Scope) -> list[_Binding]:
        """The bindings `name` may refer to from `scope`: the innermost scope that binds it."""
        current: _Scope | None = scope
        while current is not None:
            if current.bindings.get(name):
                return current.bindings[name]
            current = current.parent
        return []

    def resolve(self, node: ast.AST, scope: _Scope) -> set[str]:
        """The full dotted names `node` may denote (a name it does not know is itself)."""
        if isinstance(node, ast.Name):
            return self._resolve_name(node.id, scope)
        if isinstance(node, ast.Attribute):
            return {_join(base, node.attr) for base in self.resolve(node.value, scope)}
        if isinstance(node, ast.Call):
            return self._resolve_call(node, scope)
        if isinstance(node, ast.Subscript):
            return self._resolve_subscript(node, scope)
        if isinstance(node, ast.Starred | ast.NamedExpr):
            return self.resolve(node.value, scope)
        if isinstance(node, ast.IfExp):
            return self.resolve(node.body, scope) | self.resolve(node.orelse, scope)
        values: list[ast.expr | None] = []
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = list(node.elts)
        elif isinstance(node, ast.Dict | ast.BoolOp):
            values = list(node.values)
        return set().union(*(self.resolve(v, scope) for v in values if v is not None))

    def _resolve_name(self, name: str, scope: _Scope) -> set[str]:
        key = (id(scope), name)
        if key in self._resolved:
            return self._resolved[key]
        self._resolved[key] = set()  # a cycle (a = b; b = a) resolves to nothing more
        bindings = self.lookup(name, scope)
        found: set[str] = set()
        for binding in bindings:
            if binding.imported is not None:
                found.add(binding.imported)
            elif isinstance(binding.node, ast.expr):
                found |= self.resolve(binding.node, binding.scope)
        if not bindings:
            found |= {name} | {_join(module, name) for module in self.module.star_imports}
        elif not found:
            found.add(name)  # a parameter, a def, a class: the name itself
        self._resolved[key] = found
        return found

    def _resolve_call(self, call: ast.Call, scope: _Scope) -> set[str]:
        functions = self.resolve(call.func, scope)
        first = call.args[0] if call.args else None
        if functions & IMPORTERS:
            return {_constant_text(first) or ANY}
        if "getattr" in functions and len(call.args) >= 2:
            attribute = _constant_text(call.args[1])
            return {_join(base, attribute or ANY) for base in self.resolve(call.args[0], scope)}
        if "vars" in functions and first is not None:
            return {_join(base, "__dict__") for base in self.resolve(first, scope)}
        if "globals" in functions or ("vars" in functions and first is None):
            return {"globals"}
        return set()

    def _resolve_subscript(self, node: ast.Subscript, scope: _Scope) -> set[str]:
        """`sys.modules["m"]`, `vars(x)["f"]`, `x.__dict__["f"]`; a container: its items."""
        key = _constant_text(node.slice)
        found = set()
        for base in self.resolve(node.value, scope):
            if base == "sys.modules":
                found.add(key or ANY)
            elif base.endswith(".__dict__"):
                found.add(_join(base.removesuffix(".__dict__"), key or ANY))
            elif base in {"globals", *NAMESPACES}:
                found |= self._resolve_name(key, self.module) if key else {ANY}
            else:
                found.add(base)
        return found


def _is_namespace(node: ast.expr) -> bool:
    """`globals()`, `vars()`, `builtins`, `__builtins__`, `__main__` (and their `__dict__`)."""
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        node = node.value
    if isinstance(node, ast.Call):
        return (
            isinstance(node.func, ast.Name)
            and node.func.id in {"globals", "vars"}
            and not node.args
        )
    return isinstance(node, ast.Name) and node.id in NAMESPACES


def _is_namespace_store(call: ast.Call) -> bool:
    """`setattr(namespace, ...)` or `namespace.update(...)`, `namespace.setdefault(...)`."""
    function = call.func
    if isinstance(function, ast.Name):
        return function.id == "setattr" and bool(call.args) and _is_namespace(call.args[0])
    return (
        isinstance(function, ast.Attribute)
        and function.attr in {"update", "setdefault", "__setitem__"}
        and _is_namespace(function.value)
    )


def _function_body(node: ast.AST) -> set[int]:
    """The ids of the children of `node` that run in its own scope, when it is a function."""
    if isinstance(node, ast.Lambda):
        return {id(node.body)}
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return {id(statement) for statement in node.body}
    return set()


def _join(base: str, attribute: str) -> str:
    return ANY if base == ANY else f"{base}.{attribute}"


def _matches(name: str, target: str, method: bool) -> str | None:
    """'exact' if `name` is `target` (or a re-export of it), 'dynamic' if it may be, else None.

    A name matches on its root package and its last component, so that re-exports count:
    `torch.nn.functional.scaled_dot_product_attention` also catches `torch._C._nn.scaled_dot_...`.
    A `method` target (`model.generate`, whose root is no module the notebook imports) matches
    any attribute of that name: `m.generate` with `m` a helper's parameter.
    A name ending in `*` (an attribute named at run time) may be `target` when what it is taken
    from is a prefix of `target`; an import named at run time may be anything.
    """
    if name == ANY:
        return "dynamic"
    if name.endswith(f".{ANY}"):
        base = name.removesuffix(f".{ANY}")
        return "dynamic" if target.startswith(f"{base}.") else None
    root, leaf = target.split(".")[0], target.split(".")[-1]
    parts = name.split(".")
    if name == target or (parts[-1] == leaf and (parts[0] == root or (method and len(parts) > 1))):
        return "exact"
    return None


@lru_cache(maxsize=8)
def _notebook(source: str) -> _Notebook:
    """The source analysed once per submission, however many static checks read it."""
    return _Notebook(source)


class _Walk:
    """Breadth first from the bindings of `name`: the shortest chain to each use is found first."""

    def __init__(self, notebook: _Notebook, name: str, forbidden: list[str]) -> None:
        self.notebook = notebook
        self.forbidden = forbidden
        self.found: dict[str, Use] = {}
        self.seen: set[int] = set()
        self.queue: deque[tuple[ast.AST, _Scope, tuple[str, ...]]] = deque()
        for binding in notebook.module.bindings.get(name, []):
            if binding.imported is not None:  # the function is the library's, imported
                self._note(binding.imported, {binding.imported}, (name,))
            self._follow(binding, (name,))
        for code in notebook.dynamic_code:
            self._note(code, {ANY}, ())

    def run(self) -> list[Use]:
        visits = 0
        while self.queue and len(self.found) < len(self.forbidden):
            node, scope, chain = self.queue.popleft()
            for inner in ast.walk(node):
                visits += 1
                if visits > MAX_VISITS:
                    raise _TooLarge
                self._visit(inner, self.notebook.scope_of.get(id(inner), scope), chain)
        return [self.found[target] for target in self.forbidden if target in self.found]

    def _follow(self, binding: _Binding, chain: tuple[str, ...]) -> None:
        """Walk what a name is bound to (an import is resolved where the name is used)."""
        if binding.node is not None and id(binding.node) not in self.seen:
            self.seen.add(id(binding.node))
            self.queue.append((binding.node, binding.scope, chain))

    def _visit(self, node: ast.AST, scope: _Scope, chain: tuple[str, ...]) -> None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            for binding in self.notebook.lookup(node.id, scope):
                self._follow(binding, (*chain, node.id))
        if isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.Subscript):
            self._note(node, self.notebook.resolve(node, scope), chain)
        text = _constant_text(node) if isinstance(node, ast.expr) else None
        if text is not None:
            self._note_text(text, chain)
        code = self.notebook.code_in.get(id(node))
        if code is not None and id(code) not in self.seen:
            self.seen.add(id(code))
            self.queue.append((code, self.notebook.module, chain))

    def _note(self, code: ast.AST | str, names: set[str], chain: tuple[str, ...]) -> None:
        """Record a use of each target that one of `names` may be (`code` written lazily)."""
        for target in self.forbidden:
            method = target.split(".")[0] not in self.notebook.imported_roots
            verdicts = {_matches(name, target, method) for name in names}
            if target not in self.found and verdicts - {None}:
                text = code if isinstance(code, str) else ast.unparse(code)
                self.found[target] = Use(target, chain, text, "exact" not in verdicts)

    def _note_text(self, text: str, chain: tuple[str, ...]) -> None:
        """A string that is a forbidden function's name: `attrgetter("...")` may fetch it."""
        for target in self.forbidden:
            if target not in self.found and text == target.split(".")[-1]:
                self.found[target] = Use(target, chain, repr(text), True)


def forbidden_uses(source: str, name: str, forbidden: list[str]) -> list[Use]:
    """Which of `forbidden` (full dotted names) the student's `name` may use, in their order.

    Code too large or nested too deep to be analysed counts as a use of each (conservative):
    a `Use` with no chain and no code.
    """
    try:
        return _Walk(_notebook(source), name, forbidden).run()
    except (RecursionError, _TooLarge):
        return [Use(target, (), "", True) for target in forbidden]
