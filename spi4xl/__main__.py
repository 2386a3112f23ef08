"""`python -m spi4xl` runs the command line."""

import sys

from spi4xl.cli import main

sys.exit(main())
