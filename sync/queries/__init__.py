"""Every SQL query the dashboards run: aggregates in the database, never whole tables in memory.

Each query takes the caller's street scope (``streets``: a tuple, or None for all streets).
"""
