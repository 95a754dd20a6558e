"""`python -m bot.cli`: the `progression-bot` command."""

import sys

from bot.cli import main

sys.exit(main())
