"""``python -m vulndesk`` runs the command line."""

import sys

from vulndesk.cli.main import main

# Guarded: a feeds import reads in a "spawn" child process, which imports this module again.
if __name__ == "__main__":
    sys.exit(main())
