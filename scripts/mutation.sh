#!/usr/bin/env bash
# Mutation testing of the pure rules (domain/) and the sync ingest path (server/ingest.py):
# mutmut changes the code one small bug at a time and runs the tests that cover it; a
# mutant no test fails on "survived". Not part of scripts/test.sh: a fresh run of all
# ~5,100 mutants takes about an hour on two shared cores (docs/MUTATION.md).
#
#   bash scripts/mutation.sh                    # every mutant not run yet (results are kept
#                                               # in mutants/; edited functions are rerun)
#   bash scripts/mutation.sh 'domain.tickets*'  # one module (mutant names, wildcards)
#   MUTMUT_FRESH=1 bash scripts/mutation.sh     # forget earlier results first
#
# Runs under `nice -n 10` with two workers (MUTMUT_CHILDREN), then prints the per-module
# table of docs/MUTATION.md. The tests it runs are [tool.mutmut] in pyproject.toml: the
# domain and ingest unit and HTTP tests, no browser, fuzz or kill trials.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
if [ "${MUTMUT_FRESH:-0}" = 1 ]; then
    rm -rf mutants
fi
nice -n 10 .venv/bin/mutmut run --max-children "${MUTMUT_CHILDREN:-2}" "$@" || true
.venv/bin/python scripts/mutation_table.py
