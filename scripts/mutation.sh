#!/usr/bin/env bash
# Mutation testing of the pure rules (domain/) and the sync ingest path (server/ingest.py):
# mutmut changes the code one small bug at a time and runs the tests that cover it; a
# mutant the tests do not fail on "survived". Slow (tens of minutes on two cores): it is
# not part of scripts/test.sh. Prints the share of mutants killed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
rm -rf mutants
.venv/bin/mutmut run --max-children "${MUTMUT_CHILDREN:-2}" "$@" || true
.venv/bin/mutmut export-cicd-stats >/dev/null
.venv/bin/python - <<'PY'
import json
stats = json.load(open("mutants/mutmut-cicd-stats.json"))
done = stats["killed"] + stats["survived"] + stats.get("timeout", 0)
share = (stats["killed"] + stats.get("timeout", 0)) / max(done, 1)
print(f"mutants killed: {share:.1%} of {done} tested; {json.dumps(stats)}")
PY
