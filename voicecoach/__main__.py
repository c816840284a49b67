"""`python -m voicecoach` runs the CLI."""

from voicecoach.cli.main import main

main()
