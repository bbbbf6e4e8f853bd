"""Fuzz tests of every parser and loader: any input is accepted or gets a clear error."""
