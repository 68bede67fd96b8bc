"""``python -m data_layer``: the operators' command line (see :mod:`data_layer.cli`)."""

from data_layer.cli import main

main()
