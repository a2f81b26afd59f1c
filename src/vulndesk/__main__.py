"""``python -m vulndesk`` runs the command line."""

import sys

from vulndesk.cli.main import main

sys.exit(main())
