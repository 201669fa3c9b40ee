"""Per-module table of the last mutmut run (read from `mutmut results --all true`).

A mutant counts as killed when a test failed on it or it ran past its time limit (an
endless loop is caught too); "survived" and "no tests" (no selected test runs the
function) count against the score. Mutants not run yet are shown apart.

    .venv/bin/python scripts/mutation_table.py
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {"killed", "timeout"}


def main() -> int:
    listing = subprocess.run(
        [str(ROOT / ".venv/bin/mutmut"), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for line in listing.splitlines():
        if ": " not in line:
            continue
        name, status = line.strip().rsplit(": ", 1)
        module = name.split(".x")[0].split(".xǁ")[0]
        by_module[module][status] += 1
    print("| module | mutants | killed | timeout | survived | no tests | not run | killed % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        total.update(counts)
        print(_row(f"`{module}`", counts))
    print(_row("**all**", total))
    return 0


def _row(label: str, counts: Counter[str]) -> str:
    killed = sum(counts[s] for s in KILLED)
    run = sum(n for s, n in counts.items() if s != "not checked")
    share = f"{killed / run:.1%}" if run else "-"
    return (
        f"| {label} | {sum(counts.values())} | {counts['killed']} | {counts['timeout']} |"
        f" {counts['survived']} | {counts['no tests']} | {counts['not checked']} | {share} |"
    )


if __name__ == "__main__":
    sys.exit(main())
