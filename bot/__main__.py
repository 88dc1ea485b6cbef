"""`python -m bot` is the command line."""

from bot.cli.main import main

main()
