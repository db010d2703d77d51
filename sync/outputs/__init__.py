"""Outputs made from checked results: exports, templates, write-back, text reports."""
