"""`python -m app` runs the depthlens command."""

import sys

from app.launch import main

sys.exit(main())
