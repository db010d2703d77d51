"""The check stage: find the table, normalise cells, validate; ``check_source`` is the one entry."""
