"""``python -m shedwatch`` is the same as the ``shedwatch`` command."""

import sys

from shedwatch.cli import main

sys.exit(main())
