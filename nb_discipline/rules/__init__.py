"""The rule table. Codes are a stable contract (docs/architecture.md); `nbcheck rules` lists them."""

from __future__ import annotations

from .base import Finding, Rule
from .data import unpinned_remote_data, untracked_data_file
from .dependencies import (
    undeclared_import,
    unpinned_import,
    unpinned_install,
    unreadable_dependency_file,
)
from .execution import error_output, not_run_from_fresh_kernel, out_of_order_execution, skipped_cell
from .hidden_state import order_dependent_value, undefined_name, use_before_definition
from .paths import absolute_path
from .randomness import (
    missing_random_state,
    nondeterministic_seed,
    unseeded_generator,
    unseeded_global_rng,
)
from .syntax import syntax_error

RULES: tuple[Rule, ...] = (
    Rule("NBD001", "syntax-error", syntax_error, severity="error", python_only=True),
    Rule("NBD101", "out-of-order-execution", out_of_order_execution),
    Rule("NBD102", "skipped-cell", skipped_cell),
    Rule("NBD103", "not-run-from-fresh-kernel", not_run_from_fresh_kernel),
    Rule("NBD104", "error-output", error_output, severity="error"),
    Rule("NBD201", "use-before-definition", use_before_definition, python_only=True),
    Rule("NBD202", "undefined-name", undefined_name, python_only=True),
    Rule("NBD203", "order-dependent-value", order_dependent_value, python_only=True),
    Rule("NBD301", "unseeded-global-rng", unseeded_global_rng, python_only=True),
    Rule("NBD302", "unseeded-generator", unseeded_generator, python_only=True),
    Rule("NBD303", "missing-random-state", missing_random_state, python_only=True),
    Rule("NBD304", "nondeterministic-seed", nondeterministic_seed, python_only=True),
    Rule("NBD401", "unpinned-import", unpinned_import, python_only=True),
    Rule("NBD402", "undeclared-import", undeclared_import, python_only=True),
    Rule("NBD403", "unpinned-install", unpinned_install, python_only=True),
    Rule("NBD404", "unreadable-dependency-file", unreadable_dependency_file, python_only=True),
    Rule("NBD501", "absolute-path", absolute_path, python_only=True),
    Rule("NBD502", "unpinned-remote-data", unpinned_remote_data, python_only=True),
    Rule("NBD503", "untracked-data-file", untracked_data_file, python_only=True),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}
RULES_BY_NAME = {rule.name: rule for rule in RULES}


class UnknownSelectorError(ValueError):
    """A selector that names no rule, no prefix of a code, and is not ALL."""


def lookup(code_or_name: str) -> Rule | None:
    return RULES_BY_CODE.get(code_or_name.upper()) or RULES_BY_NAME.get(code_or_name)


def matching(selector: str) -> list[Rule]:
    """The rules a selector names; raises UnknownSelectorError when it names none."""
    rules = [rule for rule in RULES if rule.matches(selector.strip())]
    if not rules:
        raise UnknownSelectorError(selector)
    return rules


def selected_rules(
    select: list[str], extend_select: list[str], ignore: list[str]
) -> tuple[Rule, ...]:
    """select + extend_select - ignore, in table order."""
    enabled = {rule.code for selector in [*select, *extend_select] for rule in matching(selector)}
    disabled = {rule.code for selector in ignore for rule in matching(selector)}
    return tuple(rule for rule in RULES if rule.code in enabled - disabled)


__all__ = [
    "RULES",
    "Finding",
    "Rule",
    "UnknownSelectorError",
    "lookup",
    "matching",
    "selected_rules",
]
