"""Patient education in the admin, one module per area; importing them registers them."""

from . import articles, feedback, revisions, taxonomy  # noqa: F401
