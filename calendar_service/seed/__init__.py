"""The article's engagements as data (`engagements.yaml`) and the loader that seeds them.

`load_seed()` parses and validates the packaged data; `apply_seed(store, clock)` appends what
the log does not hold yet through the write path, each fact with the `known_at` of its source
and its provenance. Importing this package reads nothing.
"""

from calendar_service.seed.loader import (
    SEED_ACTOR,
    SEED_NAMESPACE,
    Seed,
    SeedEntry,
    SeedReport,
    apply_seed,
    load_seed,
)
from calendar_service.seed.parsing import MAX_QUOTE_WORDS, SeedError

__all__ = [
    "MAX_QUOTE_WORDS",
    "SEED_ACTOR",
    "SEED_NAMESPACE",
    "Seed",
    "SeedEntry",
    "SeedError",
    "SeedReport",
    "apply_seed",
    "load_seed",
]
