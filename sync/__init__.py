"""Taizhang's sync pipeline: read sources, extract tables, validate, mirror to SQL.

Never imports streamlit: the CLI and the worker run without it.
"""
