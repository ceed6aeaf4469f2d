"""Story clusters: which articles report one event, which of them leads, and how readers see them.

`identity` and `similarity` are pure (no database: parser workers use them); `clustering` assigns
stories to a chunk of written articles and rebuilds them all; `services` holds the editors' decisions.
Readers' side (selectors): `river` (stories newest activity first, keyset pages by `cursor`), `top` (ranked),
`coverage` (a story's public lead and the rest of its coverage).
"""
