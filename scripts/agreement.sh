#!/usr/bin/env bash
# Rebuild the double-annotation figures quoted in annotations/adjudication.md (entity F1, stance kappa)
# and list every disagreement between the two independent annotations. No logic here: `arastance agreement`.
set -euo pipefail
cd "$(dirname "$0")/.."
ARASTANCE="${ARASTANCE:-.venv/bin/arastance}"
[ -x "$ARASTANCE" ] || ARASTANCE=arastance
exec "$ARASTANCE" agreement annotations/double/annotator_a annotations/double/annotator_b "$@"
