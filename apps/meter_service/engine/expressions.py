"""The process's expression language: the safe language of core/expressions.py with the
process's own functions (handlers.EXPRESSION_FUNCTIONS).

Gateway conditions, timers, loop cardinalities and conditions, conditional events, message
correlations and DMN entries are expressions over the task's data; they are checked here at
upload (validation.py) and again at every evaluation, never handed to `eval`. The grammar
and the interpreter live in core so that notification rules (a doctype, below the engine)
use the same language.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from apps.meter_service.core.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_SEQUENCE,
    SAFE_FUNCTIONS,
    ExpressionError,
)
from apps.meter_service.core.expressions import check as _check_text
from apps.meter_service.core.expressions import evaluate as _evaluate
from apps.meter_service.core.expressions import parse as _parse
from apps.meter_service.engine import handlers

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_SEQUENCE",
    "SAFE_FUNCTIONS",
    "ExpressionError",
    "check",
    "evaluate",
    "parse",
]


def _function_names() -> frozenset[str]:
    return frozenset(handlers.EXPRESSION_FUNCTIONS) | frozenset(SAFE_FUNCTIONS)


def parse(text: str) -> ast.expr:
    """The checked tree of an expression; raises ExpressionError saying what is refused."""
    return _parse(text, _function_names())


def check(text: str) -> None:
    """Raise ExpressionError if the language refuses the expression."""
    _check_text(text, _function_names())


def evaluate(text: str, data: Mapping[str, Any]) -> Any:
    """The value of an expression over `data` (the task's data and any outside names)."""
    return _evaluate(text, data, handlers.EXPRESSION_FUNCTIONS)
