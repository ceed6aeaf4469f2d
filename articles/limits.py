"""Size and range limits shared by the models and the pure parser, which must load without Django."""

URL_MAX_LENGTH = 4096  # real outlet URLs exceed Django's default 200; DESIGN.md asks for >= 2,048
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL `integer`
TERM_MAX_LENGTH = 100  # a matched term: a taxonomy keyword or topic name, both capped at 100 by import_taxonomy
