"""Story clusters: which articles report one event, and which of them leads.

`identity` and `similarity` are pure (no database: parser workers use them); `clustering` assigns
stories to a chunk of written articles and rebuilds them all; `services` holds the editors' decisions.
"""
