"""The public side: published reports, Action Line pages, search (what anyone may read)."""
