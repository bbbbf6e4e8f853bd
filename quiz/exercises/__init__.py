"""Randomized, auto-graded exercises: one module per family in ``families/``, see ``registry``."""
