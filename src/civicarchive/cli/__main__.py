"""`python -m civicarchive.cli`: the same as the `civicarchive` command."""

from civicarchive.cli import main

main()
