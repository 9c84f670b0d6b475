"""``python3 -m carelog``: the command-line export tool (see ``carelog.cli``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
