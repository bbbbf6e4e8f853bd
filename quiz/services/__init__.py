"""Use cases called by the UI and the CLI. Each takes an open session; callers own transactions."""
