"""The `depthlens` command's entry point: a Ctrl-C while Python loads numpy and Qt is one line.

The command line itself (`app.cli`) takes over signals once it runs; before that, the
imports take a few hundred milliseconds in which the default handler would print a
traceback from the middle of an import.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Import the command line and run it; exit 130 on a Ctrl-C during the imports."""
    try:
        from depthlens.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("depthlens: interrupted\n")
        return 130
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
