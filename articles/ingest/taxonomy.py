"""Topic and provider taxonomy files -> Topic and Provider rows (enrich, never duplicate)."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models.functions import Lower

from articles.ingest import fields as f
from articles.ingest.loader import ensure_topic
from articles.ingest.yamlsafe import FrontMatterError, decode, load_mapping, split_front_matter
from articles.models import Image, Topic
from articles.stories.identity import url_identity_hash
from providers.models import Provider

_DOCUMENT_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


@dataclass
class TaxonomySummary:
    topics: int = 0
    providers: int = 0
    errors: list[str] = field(default_factory=list)


def taxonomy_files(paths: list[str]) -> list[Path]:
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink() and p.name[0] != ".")
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return found


def import_taxonomy(paths: list[str]) -> TaxonomySummary:
    summary = TaxonomySummary()
    topic_parents: dict[int, str] = {}
    for path in taxonomy_files(paths):
        try:
            data = _load(path)
            kind = data.get("taxonomy") or ("organization" if "domain" in data else "topic")
            with transaction.atomic():
                if kind == "organization":
                    _provider(data)
                    summary.providers += 1
                elif kind == "topic":
                    topic = _topic(data)
                    if data.get("parent"):
                        topic_parents[topic.id] = f.text(data["parent"], max_length=100)
                    summary.topics += 1
                # Other kinds (tags) carry nothing the newsroom uses.
        except (FrontMatterError, f.Invalid, OSError) as exc:
            summary.errors.append(f"{path}: {exc}")
    # Parents may be defined after their children: link them once every topic exists.
    for topic_id, parent_name in topic_parents.items():
        parent = Topic.objects.annotate(lname=Lower("name")).filter(lname=parent_name.lower()).first()
        if parent is None:
            parent = ensure_topic(parent_name)
        if parent.id != topic_id:
            Topic.objects.filter(id=topic_id).update(parent=parent)
    return summary


def _load(path: Path) -> dict:
    text = decode(path.read_bytes())
    if text.startswith("---"):
        return load_mapping(split_front_matter(text))[0]
    # Plain YAML topic files; some end with a stray '---' that would start an empty second document.
    return load_mapping(_DOCUMENT_END.split(text, maxsplit=1)[0])[0]


def _topic(data: dict) -> Topic:
    try:
        name = f.required_text(data.get("name"), max_length=100)
    except f.Invalid as exc:
        raise f.Invalid(f"name: {exc}") from None
    topic = ensure_topic(name)
    keywords = data.get("keywords") or []
    topic.shortname = f.text(data.get("shortname") or "", max_length=50)
    topic.description = f.text(data.get("description") or "", max_length=5000, single_line=False)
    topic.keywords = (
        [f.text(k, max_length=100) for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else []
    )
    known = {"name", "shortname", "description", "keywords", "parent", "taxonomy"}
    topic.extra = {k: f.json_safe(v) for k, v in data.items() if k not in known}
    topic.save()
    return topic


def _provider(data: dict) -> Provider:
    try:
        domain = f.domain(data.get("domain") or data.get("_id"))
    except f.Invalid as exc:
        raise f.Invalid(f"domain: {exc}") from None
    name = f.text(data.get("name") or domain, max_length=200) or domain
    other = data.get("otherNames") or []
    other_names = [f.text(n, max_length=200) for n in other if isinstance(n, str)] if isinstance(other, list) else []
    provider = Provider.objects.filter(domain=domain).first()
    if provider is None and (merged := Provider.objects.merged_into([domain])):
        # An editor merged this outlet into another: its names become other names there, nothing else changes.
        provider = Provider.objects.get(pk=merged[domain])
        _add_other_names(provider, [name, *other_names])
        return provider
    if provider is None:
        provider = Provider.objects.create(domain=domain, name=name, other_names=other_names)
    else:
        # Editors own the name of a provider that exists: the taxonomy fills it only where the domain stood in
        # for a name, and otherwise adds its names to the other names.
        if provider.name == domain:
            provider.name = name
        _add_other_names(provider, [name, *other_names])
    logos = []
    for position, entry in enumerate(data.get("images") or []):
        entry = entry if isinstance(entry, dict) else {"url": entry}
        try:
            url = f.image_url(entry.get("url"))
        except f.Invalid:
            continue  # site-relative logo paths have no host to fetch from
        width, height = _opt(f.dimension, entry.get("width")), _opt(f.dimension, entry.get("height"))
        logos.append(
            Image(
                provider=provider,
                url=url,
                url_hash=url_identity_hash(url),
                position=position,
                width=width,
                height=height,
            )
        )
    if logos:
        # A logo listed as before keeps its row, and with it the copy already cached: only changes are written.
        def key(image: Image) -> tuple:
            return image.url_hash, image.position, image.width, image.height

        listed = {key(logo) for logo in logos}
        kept = {key(image): image.pk for image in provider.logos.all() if key(image) in listed}
        provider.logos.exclude(pk__in=kept.values()).delete()
        Image.objects.bulk_create([logo for logo in logos if key(logo) not in kept])
    return provider


def _add_other_names(provider: Provider, names: list[str]) -> None:
    provider.other_names += [
        n for n in dict.fromkeys(names) if n and n != provider.name and n not in provider.other_names
    ]
    provider.save(update_fields=["name", "other_names"])


def _opt(normalise, value):
    try:
        return normalise(value) if value is not None else None
    except f.Invalid:
        return None
