"""The ``clipkit`` command line."""
