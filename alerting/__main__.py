"""`python -m alerting` runs the CLI."""

import sys

from alerting.cli import main

sys.exit(main())
