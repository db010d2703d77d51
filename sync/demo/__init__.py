"""Believable demo workbooks for a city of street offices (``python -m sync demo``)."""
