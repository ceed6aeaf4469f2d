"""Words of a headline or excerpt, and the normal form that keywords and text are compared in.

The normal form is lower case and singular ("Robots’" and "robot", "GPUs" and "gpu" compare equal), so a
keyword matches whole words whatever their case or number. The surface form is kept beside it: some terms
match only when written in capitals (acronyms: "ML" is the field, "ml" a millilitre).
"""

import re
from dataclasses import dataclass

# Letters and digits, with inner apostrophes ("don't"); hyphens and other punctuation separate words, so
# "self-driving" is the two words of the keyword "self driving" and "AI-generated" holds "AI".
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Endings that look plural but are not ("glass", "virus", "analysis").
_NOT_PLURAL = ("ss", "us", "is")
_ES_PLURAL = ("sses", "shes", "ches", "xes", "zes")


@dataclass(frozen=True, slots=True)
class Word:
    surface: str
    norm: str


def singular(word: str) -> str:
    """English singular of a lower-case word, by the regular rules only (irregular plurals are rare in keywords).

    Words of three letters or fewer are left alone: they are mostly acronyms ("aws", "gps").
    """
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_NOT_PLURAL):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(_ES_PLURAL):
        return word[:-2]
    return word[:-1]


def normal(word: str) -> str:
    if len(word) > 2 and word[-1] == "s" and word[:-1].isupper():
        return word[:-1].lower()  # an acronym's plural ("GPUs", "LLMs"), whatever its last letters
    word = word.lower()
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return singular(word)


def words(text: str) -> list[Word]:
    return [Word(surface, normal(surface)) for surface in WORD.findall(text)]


def phrase_key(text: str) -> tuple[str, ...]:
    """The normal form of a keyword or name: its words, singular and lower case."""
    return tuple(word.norm for word in words(text))


def is_acronym(surface: str) -> bool:
    """Written in capitals, allowing a plural "s" ("GPUs") and digits ("MT9638")."""
    core = surface[:-1] if len(surface) > 2 and surface.endswith("s") else surface
    return core.isupper()


def is_capitalised(surface: str) -> bool:
    return surface[:1].isupper()
