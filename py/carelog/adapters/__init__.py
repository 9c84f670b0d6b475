"""The edges: browser adapters (IndexedDB, clock, DOM) and in-memory twins.

Browser-only modules import ``js``/``pyodide`` lazily, so every module here
imports under CPython.
"""
