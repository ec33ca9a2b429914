"""``python -m registry_action``: the same as the console script."""

import sys

from registry_action.cli import main

if __name__ == "__main__":
    sys.exit(main())
