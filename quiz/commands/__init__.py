"""Subcommands of the ``stride`` command, one module per group (wired in :mod:`quiz.cli`)."""
