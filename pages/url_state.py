"""Filters that live in the URL (so a view can be bookmarked or shared) and survive page changes.

A widget's value starts from the value last chosen on any page of this session, else from the URL's
query parameter (a bookmark, a shared link); every change is written back to the URL.
Streamlit's own ``bind="query-params"`` ties a parameter to one page's widget and drops it on a page
change, which is exactly what these filters must not do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

CHOSEN = "url_filters"  # session_state: key -> the value last chosen on any page


def seed(key: str, options: Sequence[Any], *, many: bool = False) -> None:
    """Before the widget ``key`` is drawn: start it from the session's last choice (on any page), else
    from the URL. Values not among ``options`` (another user's street, a stale link) are dropped."""
    chosen = st.session_state.get(CHOSEN, {})
    if key in chosen:
        if key in st.session_state and st.session_state[key] != chosen[key]:
            return  # changed just now, on this page: the widget already holds the new value
        raw: Any = chosen[key]
    elif key in st.query_params:
        raw = st.query_params.get_all(key)
    else:
        return
    wanted = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    valid = [v for v in wanted if v in options]
    if many:
        st.session_state[key] = valid
    elif valid:
        st.session_state[key] = valid[0]


def keep(key: str, value: Any, default: Any) -> Any:
    """After the widget ``key`` is drawn: remember its value for the session and put it in the URL."""
    st.session_state.setdefault(CHOSEN, {})[key] = value
    if value == default or value in ([], None):
        if key in st.query_params:
            del st.query_params[key]
    elif isinstance(value, (list, tuple)):
        st.query_params[key] = [str(v) for v in value]
    else:
        st.query_params[key] = str(value)
    return value


def url_select(widget: Callable[..., Any], label: str, options: Sequence[Any], key: str, **kw: Any) -> Any:
    """A selectbox (or radio) whose choice is kept in the URL under ``key``; the first option is the default."""
    seed(key, options)
    return keep(key, widget(label, options, key=key, **kw), options[0] if options else None)


def url_multiselect(widget: Callable[..., Any], label: str, options: Sequence[Any], key: str, **kw: Any) -> list:
    """A multiselect whose choices are kept in the URL under ``key`` (repeated); none chosen is the default."""
    seed(key, options, many=True)
    return keep(key, widget(label, options, key=key, **kw), [])
