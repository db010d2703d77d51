"""Scheduled syncs, emailed validation reports and annotated workbooks (never imports streamlit)."""
