"""The one line each benchmark prints per figure, for benchmarks/run_all.py to collect:

    RESULT <name> <value> <unit> target <op> <target> PASS|FAIL

name: dotted, no spaces (report.stripped.memory); value and target: plain numbers; unit: one
word (x, ms, MB, q/s, requests); op: `<` (the value must stay below the target), `<=` (at
most the target) or `>=` (at least the target). A benchmark prints any other text it likes
around these lines, and exits 1 when one of its figures fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(
    r"^RESULT (?P<name>\S+) (?P<value>-?[0-9.]+(?:e[-+]?\d+)?) (?P<unit>\S+) "
    r"target (?P<op><=|<|>=) (?P<target>-?[0-9.]+(?:e[-+]?\d+)?) (?P<verdict>PASS|FAIL)$"
)


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    op: str
    target: float
    passed: bool


OPS = ("<", "<=", ">=")


def meets(value: float, op: str, target: float) -> bool:
    if op == "<":
        return value < target
    return value <= target if op == "<=" else value >= target


def result_line(name: str, value: float, unit: str, op: str, target: float) -> str:
    """The RESULT line of one figure, its verdict computed here."""
    if op not in OPS:
        raise ValueError(f"op must be one of {OPS}, not {op!r}")
    verdict = "PASS" if meets(value, op, target) else "FAIL"
    return f"RESULT {name} {value:.2f} {unit} target {op} {target:g} {verdict}"


def parse(output: str) -> list[Result]:
    """Every RESULT line of a benchmark's output, in order; other lines are ignored."""
    found = []
    for line in output.splitlines():
        match = _LINE.match(line.strip())
        if match:
            found.append(
                Result(
                    match["name"],
                    float(match["value"]),
                    match["unit"],
                    match["op"],
                    float(match["target"]),
                    match["verdict"] == "PASS",
                )
            )
    return found
