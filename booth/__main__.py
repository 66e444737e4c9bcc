"""Run the booth with ``python -m booth``."""

from booth.cli import main

raise SystemExit(main())
