"""``python -m leadlab.cli`` runs the ``leadlab`` command."""

from leadlab.cli import main

main()
