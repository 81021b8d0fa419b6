"""Data files of the built-in checks (thresholds, tables)."""
