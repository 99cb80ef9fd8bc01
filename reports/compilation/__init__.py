"""Compiled reports: selection, contents and page layout, and the streaming PDF merge.

Kept free of imports: ``compilation/merge.py`` also runs as a child process of its own.
"""
