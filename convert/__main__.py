"""``python -m convert`` runs the ``pressroom`` command."""

import sys

from .cli import main

sys.exit(main())
