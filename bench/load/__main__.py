"""`python -m bench.load`: see bench/load/runner.py."""
import sys

from bench.load.runner import main

sys.exit(main())
