"""`python -m depthlens` runs the depthlens command."""

import sys

from depthlens.launch import main

sys.exit(main())
