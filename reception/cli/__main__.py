"""`python -m reception.cli`: the `reception` command."""

import sys

from reception.cli import main

sys.exit(main())
