"""`python -m arastance.bench`: the benchmark, and each side's worker subprocess (`--worker SPEC`)."""

import sys

from arastance.bench.cli import main

sys.exit(main())
