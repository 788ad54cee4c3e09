"""The safe expression language: the only way an expression staff write is evaluated.

The engine uses it for BPMN and DMN expressions (engine/expressions.py adds the process's
functions); notification rules use it for their conditions. Pure: no queries, no writes.

Gateway conditions, timers, loop cardinalities and conditions, conditional events, message
correlations and DMN entries are expressions over the task's data. Python's `eval` with a
short list of builtins is not a sandbox (`().__class__.__base__.__subclasses__()` reaches
every class of the process), so expressions are parsed to an AST, checked against a small
grammar, and interpreted here, never handed to `eval`:

- literals (numbers, strings, True/False/None, lists, tuples, sets, dicts);
- names, read from the task's data (never functions, modules or builtins);
- `and`, `or`, `not`, comparisons (`==`, `<`, `in`, `is`, ...), `+ - * / // %`, unary
  `+ -`, and `a if c else b`;
- subscripts of data (`items[0]`, `row["x"]`) on lists, tuples, dicts and strings;
- calls of the named functions the caller allows (SAFE_FUNCTIONS below, and for the
  process handlers.EXPRESSION_FUNCTIONS) with plain or keyword arguments.

Attribute access, comprehensions, lambdas, f-strings, starred arguments, `**`, walrus,
names starting with `_` and names outside ASCII are refused, at upload (validation.py)
and again at every evaluation; notification rules' conditions at save and at sending.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

MAX_LENGTH = 2_000  # characters of one expression
MAX_DEPTH = 40  # nesting of the parsed expression
MAX_SEQUENCE = 10_000  # items or characters a `*` or `+` may build

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\Z")

SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "len": len,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "any": any,
    "all": all,
}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_CONTAINERS = (ast.List, ast.Tuple, ast.Set)
_SUBSCRIPTABLE = (dict, list, tuple, str)
_PLAIN_CONSTANTS = (int, float, str, bool, type(None))


class ExpressionError(ValueError):
    """An expression the language refuses (at upload) or cannot evaluate."""


SAFE_NAMES = frozenset(SAFE_FUNCTIONS)


@functools.lru_cache(maxsize=1024)
def parse(text: str, functions: frozenset[str] = SAFE_NAMES) -> ast.expr:
    """The checked tree of an expression that may call `functions`; raises ExpressionError
    saying what is refused."""
    if not isinstance(text, str):
        raise ExpressionError(_("an expression must be text"))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_("longer than %(count)s characters") % {"count": MAX_LENGTH})
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(
            _("not a valid expression (%(error)s)") % {"error": type(exc).__name__}
        ) from None
    _check(tree.body, set(functions), depth=0)
    return tree.body


def _check(node: ast.AST, functions: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError(_("nested too deeply"))
    deeper = depth + 1
    match node:
        case ast.Constant(value=value):
            if not isinstance(value, _PLAIN_CONSTANTS):
                raise ExpressionError(
                    _("%(kind)s literals are not allowed") % {"kind": type(value).__name__}
                )
        case ast.Name(id=name, ctx=ast.Load()):
            _check_name(name)
        case ast.BoolOp(values=values):
            for value in values:
                _check(value, functions, deeper)
        case ast.BinOp(left=left, op=op, right=right):
            if type(op) not in _BINARY:
                raise ExpressionError(
                    _("the operator %(operator)s is not allowed") % {"operator": type(op).__name__}
                )
            if isinstance(op, ast.Mod) and isinstance(left, ast.Constant | ast.JoinedStr):
                raise ExpressionError(_("%% formatting of text is not allowed") % {})
            _check(left, functions, deeper)
            _check(right, functions, deeper)
        case ast.UnaryOp(op=op, operand=operand):
            if type(op) not in _UNARY:
                raise ExpressionError(
                    _("the operator %(operator)s is not allowed") % {"operator": type(op).__name__}
                )
            _check(operand, functions, deeper)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            if any(type(op) not in _COMPARE for op in ops):
                raise ExpressionError(_("a comparison that is not allowed"))
            for part in (left, *comparators):
                _check(part, functions, deeper)
        case ast.IfExp(test=test, body=body, orelse=orelse):
            for part in (test, body, orelse):
                _check(part, functions, deeper)
        case ast.List(elts=items) | ast.Tuple(elts=items) | ast.Set(elts=items):
            for item in items:
                if isinstance(item, ast.Starred):
                    raise ExpressionError(_("starred items are not allowed"))
                _check(item, functions, deeper)
        case ast.Dict(keys=keys, values=values):
            for entry in (*keys, *values):
                if entry is None:
                    raise ExpressionError(_("** in a dict is not allowed"))
                _check(entry, functions, deeper)
        case ast.Subscript(value=value, slice=index, ctx=ast.Load()):
            if not isinstance(value, ast.Name | ast.Subscript):
                raise ExpressionError(_("only the task's data may be subscripted"))
            _check(value, functions, deeper)
            _check(index, functions, deeper)
        case ast.Slice(lower=lower, upper=upper, step=step):
            for bound in (lower, upper, step):
                if bound is not None:
                    _check(bound, functions, deeper)
        case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords):
            _check_name(name)
            if name not in functions:
                raise ExpressionError(
                    _("%(name)s() is not a function processes may call") % {"name": name}
                )
            for arg in args:
                if isinstance(arg, ast.Starred):
                    raise ExpressionError(_("starred arguments are not allowed"))
                _check(arg, functions, deeper)
            for keyword in keywords:
                if keyword.arg is None:
                    raise ExpressionError(_("** arguments are not allowed"))
                _check_name(keyword.arg)
                _check(keyword.value, functions, deeper)
        case ast.Call():
            raise ExpressionError(_("only the application's named functions may be called"))
        case ast.Attribute():
            raise ExpressionError(_("attribute access (.) is not allowed"))
        case _:
            raise ExpressionError(
                _("%(kind)s is not allowed in an expression") % {"kind": type(node).__name__}
            )


def _check_name(name: str) -> None:
    if not NAME.match(name):
        raise ExpressionError(_("the name %(name)s is not allowed") % {"name": repr(name)})


def check(text: str, functions: frozenset[str] = SAFE_NAMES) -> None:
    """Raise ExpressionError if the language refuses the expression."""
    parse(text, functions)


def names(text: str, functions: frozenset[str] = SAFE_NAMES) -> frozenset[str]:
    """The data names a checked expression reads (not the functions it calls)."""
    tree = parse(text, functions)
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    return frozenset(
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id not in called
    )


def evaluate(
    text: str,
    data: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """The value of an expression over `data`; it may call SAFE_FUNCTIONS and `functions`."""
    allowed = {**SAFE_FUNCTIONS, **(functions or {})}
    return _Interpreter(data, allowed).run(parse(text, frozenset(allowed)))


class _Interpreter:
    def __init__(self, data: Mapping[str, Any], functions: dict[str, Callable[..., Any]]) -> None:
        self.data = data
        self.functions = functions

    def run(self, node: ast.AST) -> Any:
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id=name):
                _check_name(name)
                if name not in self.data:
                    raise NameError(f"name {name!r} is not in the task's data")
                return self.data[name]
            case ast.BoolOp(op=ast.And(), values=values):
                result: Any = True
                for value in values:
                    result = self.run(value)
                    if not result:
                        return result
                return result
            case ast.BoolOp(op=ast.Or(), values=values):
                result = False
                for value in values:
                    result = self.run(value)
                    if result:
                        return result
                return result
            case ast.BinOp(left=left, op=op, right=right):
                return self._binary(type(op), self.run(left), self.run(right))
            case ast.UnaryOp(op=op, operand=operand):
                return _UNARY[type(op)](self.run(operand))
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                current = self.run(left)
                for comparison, comparator in zip(ops, comparators, strict=True):
                    following = self.run(comparator)
                    if not _COMPARE[type(comparison)](current, following):
                        return False
                    current = following
                return True
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return self.run(body) if self.run(test) else self.run(orelse)
            case ast.List(elts=items):
                return [self.run(item) for item in items]
            case ast.Tuple(elts=items):
                return tuple(self.run(item) for item in items)
            case ast.Set(elts=items):
                return {self.run(item) for item in items}
            case ast.Dict(keys=keys, values=values):
                mapping = {}
                for key, item in zip(keys, values, strict=True):
                    if key is None:  # `{**other}`: parse() refuses it
                        raise ExpressionError(_("** in a dict is not allowed"))
                    mapping[self.run(key)] = self.run(item)
                return mapping
            case ast.Subscript(value=value, slice=index):
                container = self.run(value)
                if type(container) not in _SUBSCRIPTABLE:
                    raise ExpressionError(_("only the task's data may be subscripted"))
                return container[self.run(index)]
            case ast.Slice(lower=lower, upper=upper, step=step):
                return slice(*(None if p is None else self.run(p) for p in (lower, upper, step)))
            case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords):
                function = self.functions.get(name)
                if function is None:
                    raise ExpressionError(
                        _("%(name)s() is not a function processes may call") % {"name": name}
                    )
                values = [self.run(arg) for arg in args]
                named = {}
                for keyword in keywords:
                    if keyword.arg is None:  # `**other`: parse() refuses it
                        raise ExpressionError(_("** arguments are not allowed"))
                    named[keyword.arg] = self.run(keyword.value)
                return function(*values, **named)
        raise ExpressionError(
            _("%(kind)s is not allowed in an expression") % {"kind": type(node).__name__}
        )

    @staticmethod
    def _binary(op: type, left: Any, right: Any) -> Any:
        if op is ast.Mod and isinstance(left, str | bytes):
            raise ExpressionError(_("%% formatting of text is not allowed") % {})
        if op in (ast.Mult, ast.Add):
            # Repetition and concatenation could build a string or list of any size.
            for side, other in ((left, right), (right, left)):
                if isinstance(side, str | list | tuple):
                    size = len(side) * (other if isinstance(other, int) else 1)
                    if isinstance(other, str | list | tuple):
                        size = len(side) + len(other)
                    if size > MAX_SEQUENCE:
                        raise ExpressionError(
                            _("a result longer than %(count)s items") % {"count": MAX_SEQUENCE}
                        )
        return _BINARY[op](left, right)
