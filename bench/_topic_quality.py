"""Implementation of bench/topic_quality (run that wrapper: it picks the venv and a throw-away SQLite database).

Automatic topics against the topics upstream gave the real items of ../shared/corpus/everyday-cc-ai
(`_news` and `_archive/_news`), their own `topics:` hidden from the matcher, the root topic excluded:

1. the taxonomy is loaded by the real `import_taxonomy` into a fresh database, and read back the way the
   importer reads it (articles.topics.selectors.taxonomy);
2. the items are read by the real parser (title, excerpt, and their topics as the expected answer);
3. printed: a plain keyword match (the yardstick), the matcher without learning, the matcher with learning
   scored leave-one-out (each item assigned by a matcher that learned from the other items only: the
   honest figure), and learned-on-everything (optimistic, shown to say how much leave-one-out costs);
   then the per-topic counts and every item the headline configuration got wrong.
"""

import argparse
import io
import sys
from pathlib import Path

import django

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "everyday-cc-ai"
TARGET_PRECISION, TARGET_RECALL = 0.75, 0.80


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/topic_quality", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"corpus directory (default {CORPUS})")
    args = parser.parse_args()
    items_dirs = [args.corpus / "_news", args.corpus / "_archive" / "_news"]
    for path in [args.corpus / "_data", *items_dirs]:
        if not path.is_dir():
            sys.exit(f"topic_quality: {path} not found")

    sys.path.insert(0, str(REPO))
    django.setup()
    from django.core.management import call_command

    from articles.ingest.batch import find_item_files
    from articles.ingest.parser import parse_file
    from articles.topics import evaluation as ev
    from articles.topics.learning import LabelledItem, term_factors
    from articles.topics.matcher import TopicMatcher
    from articles.topics.selectors import taxonomy

    call_command("migrate", verbosity=0)
    out = io.StringIO()
    call_command("import_taxonomy", str(args.corpus / "_data"), stdout=out)
    topics = taxonomy()
    ids = {topic.name.casefold(): topic.id for topic in topics}
    names = {topic.id: topic.name for topic in topics}
    roots = {topic.id for topic in topics if topic.parent_id is None}

    items, unknown = [], set()
    for path in find_item_files(items_dirs):
        record = parse_file(path).record
        if record is None:
            sys.exit(f"topic_quality: {path} does not parse")
        for name in record.topics:
            if name.casefold() not in ids:  # a topic outside the taxonomy: no matcher can find it, it counts missed
                unknown.add(name)
                ids[name.casefold()] = -len(unknown)
                names[ids[name.casefold()]] = name
        items.append(LabelledItem(record.title, record.excerpt, frozenset(ids[n.casefold()] for n in record.topics)))

    base = TopicMatcher(topics)
    runs = [
        ("plain keyword match (keywords, whole words, any case)", ev.plain_keyword_predictor(topics)),
        ("matcher, no learning", ev.matcher_predictor(base)),
        ("matcher, learning, leave-one-out", ev.leave_one_out_predictor(topics, items)),
        (
            "matcher, learned on all items (optimistic)",
            ev.matcher_predictor(TopicMatcher(topics, term_factors(base, items))),
        ),
    ]
    headline = runs[2][0]
    expected = sum(len(item.topics - roots) for item in items)
    print(f"Topic quality: {len(items)} real items, {len(topics)} topics ({out.getvalue().strip()}), "
          f"{expected} expected topics beside the root ({', '.join(names[r] for r in roots)}, excluded)")  # fmt: skip
    if unknown:
        print(f"  item topics outside the taxonomy (counted as missed): {', '.join(sorted(unknown))}")
    print()
    print(f"{'configuration':<54} {'precision':>9} {'recall':>7} {'F1':>6}   tp  fp  fn   target")
    print("-" * 104)
    results = {}
    for label, predict in runs:
        result = results[label] = ev.evaluate(predict, items, roots=roots)
        c = result.overall
        met = c.precision >= TARGET_PRECISION and c.recall >= TARGET_RECALL
        print(f"{label:<54} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f} {c.tp:>4} {c.fp:>3} {c.fn:>3}   "
              f"{'met' if met else 'NOT met'} (P >= {TARGET_PRECISION}, R >= {TARGET_RECALL})")  # fmt: skip

    result = results[headline]
    print(f"\nPer topic ({headline}):")
    print(f"{'topic':<30} {'tp':>3} {'fp':>3} {'fn':>3} {'precision':>9} {'recall':>7}")
    for topic, c in sorted(result.per_topic.items(), key=lambda kv: names[kv[0]]):
        print(f"{names[topic]:<30} {c.tp:>3} {c.fp:>3} {c.fn:>3} {c.precision:>9.2f} {c.recall:>7.2f}")
    print(f"\nItems with a wrong or missed topic ({headline}):")
    for index, wrong, missed in result.mistakes:
        item = items[index]
        found = {m.topic: m.term for m in base.assign(item.title, item.excerpt)}
        parts = [f"+{names[t]} (“{found.get(t, '?')}”)" for t in sorted(wrong, key=names.get)]
        parts += [f"-{names[t]}" for t in sorted(missed, key=names.get)]
        print(f"  {item.title[:70]:<70} {' '.join(parts)}")
    print("\n+ assigned but not upstream's (the matched term), - upstream's but not assigned")


if __name__ == "__main__":
    main()
