"""Automatic topics: which taxonomy topics an item's title and excerpt are about, and the matched term.

Entry points: `selectors.current_matcher()` builds a `matcher.TopicMatcher` from the taxonomy in the database
(demoting terms that mislead on labelled items, `learning`); `TopicMatcher.assign(title, excerpt)` is pure and
runs in the importer's parser processes (articles.ingest.workers); `services.assign_topics()` re-runs it over
stored articles (`manage.py assign_topics`); `evaluation` measures it (bench/topic_quality).
"""
