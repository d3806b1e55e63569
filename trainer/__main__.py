"""``python -m trainer``: the same command line as the ``vptrainer`` script.

Useful before the package is installed (a fresh checkout with its dependencies) or when the
console script is not on ``PATH``.  Arguments, ``--help`` and exit statuses are those of
:func:`trainer.cli.main`.
"""

import sys

from trainer.cli import main

sys.exit(main())
