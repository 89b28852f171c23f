"""``python -m clipkit``: the same as the ``clipkit`` command."""

import sys

from .cli.main import main

sys.exit(main())
