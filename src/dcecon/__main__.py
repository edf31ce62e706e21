"""``python -m dcecon`` runs the command line."""

import sys

from dcecon.cli.main import main

sys.exit(main())
