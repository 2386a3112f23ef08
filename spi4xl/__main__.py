"""`python -m spi4xl` runs the command line."""

import sys

try:
    from spi4xl.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting: the same quiet exit as later on
    print("spi4xl: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
