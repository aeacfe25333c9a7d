"""`python -m benchmarks.generate --scale X --out DIR [--seed N]`."""

import sys

from benchmarks.generate.cli import main

sys.exit(main())
