"""`python -m d2lsoftmax.cli`: the `d2lsoftmax` command."""
import sys

from d2lsoftmax.cli import main

sys.exit(main())
