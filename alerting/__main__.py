"""`python -m alerting` runs the CLI."""

import sys

from alerting.cli.main import main

sys.exit(main())
