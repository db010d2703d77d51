"""The store: the SQL mirror's tables, the writer, locks, keys and accounts."""
