"""Search that understands how people ask (issue #3): Chinese segmentation
(jieba), pinyin and initials, an editable synonym dictionary, cheap typo
tolerance; SQLite FTS5 or PostgreSQL tsvector underneath. Generic over
document kinds ("item", "faq", "knowledge" …). See docs/search.md.

Public API::

    index_document(kind, object_id, title, body="", keywords=(), weight=1.0, public=True, **scope)
    index_documents(kind, iterable)              # many at once (importers)
    remove_document(kind, object_id)
    reindex(kind, iterable)
    search(query, kinds=None, limit=10, **scope) -> list[Hit]
    add_words(iterable)
    load_default_synonyms()
"""

_ENGINE = (
    "MAX_QUERY_LENGTH",
    "Hit",
    "add_words",
    "highlight",
    "index_document",
    "index_documents",
    "reindex",
    "remove_document",
    "search",
    "stats",
)

__all__ = [*_ENGINE, "load_default_synonyms"]


def __getattr__(name):
    # Imported lazily: core.models imports .models from this package while
    # the app registry loads, before jieba and the engine are needed.
    if name in _ENGINE:
        from . import engine

        return getattr(engine, name)
    if name == "load_default_synonyms":
        from .synonyms import load_default_synonyms

        return load_default_synonyms
    raise AttributeError(name)
