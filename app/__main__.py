"""`python -m app` runs the depthlens command."""

import sys

from app.cli import main

sys.exit(main())
