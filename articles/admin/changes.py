"""Readable history messages for edits made in the article form and the change list.

Django's default message says which fields changed; editors also want to know what to, so the
editorial fields say it ("Quality: 40 → 80", "Published", "Added topic “AI”").
"""

from django.utils import timezone


def _quality(value) -> str:
    return "unrated" if value is None else str(value)


def describe_article_change(form) -> str:
    data = form.cleaned_data
    parts, others = [], []
    # Editorial decisions first, in a fixed order; other fields after.
    order = {"published": 0, "publish_at": 1, "quality": 2, "topics": 3}
    for name in sorted(form.changed_data, key=lambda name: order.get(name, len(order))):
        if name == "published":
            if data["published"]:
                parts.append("Published")
            else:
                parts.append("Unpublished (schedule cleared)" if form.initial.get("publish_at") else "Unpublished")
        elif name == "publish_at":
            when = data["publish_at"]
            parts.append(
                f"Scheduled to go public at {timezone.localtime(when):%Y-%m-%d %H:%M %Z}"
                if when
                else "Schedule cleared"
            )
        elif name == "quality":
            parts.append(f"Quality: {_quality(form.initial.get('quality'))} → {_quality(data['quality'])}")
        elif name == "topics":
            before = {topic.pk: topic.name for topic in form.initial.get("topics") or []}
            after = {topic.pk: topic.name for topic in data["topics"]}
            added = [after[pk] for pk in after if pk not in before]
            removed = [before[pk] for pk in before if pk not in after]
            if added:
                parts.append("Added topic " + ", ".join(f"“{name}”" for name in sorted(added)))
            if removed:
                parts.append("Removed topic " + ", ".join(f"“{name}”" for name in sorted(removed)))
        else:
            field = form.fields.get(name)
            others.append(str(field.label if field and field.label else name).lower())
    if others:
        parts.append("Changed " + ", ".join(others))
    return "; ".join(parts) + "." if parts else "No fields changed."
