"""``python -m bench.node``: see cli.py."""

import sys

from .cli import main

sys.exit(main())
