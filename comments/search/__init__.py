"""Search: words in chapters (their current text and earlier versions), comments and
suggestions, in Latin or Cyrillic, among what the user may see.

- `folding.py` (pure): the one form text and queries are compared in, the query's words and the
  highlighted snippets.
- `comments/models/search.py`: `SearchEntry`, one row per searchable text (folded), which the
  engine indexes: a GIN-indexed tsvector column on PostgreSQL, an FTS5 table on SQLite (both
  made by migration 0006 and kept in step by the database itself).
- `engines.py`: the small interface over the two (`Found`: what matches, counted and paged).
- `indexing.py`: the entries kept current on every write, in the writer's transaction.
- `finding.py`: what a user may find (the policies' visible_to), filters, groups and snippets.
- `views.py`, `forms.py`: the page at /search/.
"""
