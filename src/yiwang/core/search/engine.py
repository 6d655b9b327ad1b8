"""Indexing and searching.

Two stages:

1. *Recall* in the database's full-text index, over the strong terms of the
   parsed query (see :mod:`.query`): SQLite FTS5 ranked by ``bm25()`` with
   column weights (title 10, keywords 4, pinyin 3, body 1), or PostgreSQL's
   GIN-indexed tsvector ranked by ``ts_rank_cd`` (weights A title, B
   keywords, C body, D pinyin). At most ``RECALL_LIMIT`` candidates. When
   more documents match than the database ranks cheaply, it ranks by the
   rarer phrases only, kind by kind (see _recall and _prune; each database
   behind a small object, _Fts5 and _Tsvector).
2. *Ranking* in Python over those candidates: how much of each concept of
   the question the title (then keywords, then body) covers, an exact-title
   bonus, the full-text rank as a tie-breaker, the document's ``weight``
   multiplying, and shorter titles first among equals. Ties are broken by
   kind and object id, so results are deterministic.
"""

from __future__ import annotations

import html
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection, transaction
from django.utils.translation import gettext as _

from ..errors import ValidationFailed
from . import query as q
from . import text
from .models import SearchDocument, SearchWord

MAX_QUERY_LENGTH = 100
RECALL_LIMIT = 120
WEAK_RECALL_BELOW = 3
BATCH = 2000
VOCAB_SECONDS = 60.0
FTS_TABLE = "core_search_fts"

# field weights in the Python ranking
F_TITLE, F_KEYWORDS, F_BODY, F_PINYIN = 1.0, 0.6, 0.25, 0.9
PARTIAL = 0.3
# When a question names a thing and no action (社保卡怎么办), the item that
# grants it comes before the ones that change, renew or cancel it.
OBTAIN_ACTIONS = ("申领", "新办", "新增", "配发", "办理", "核发", "设立", "首次", "签发", "申请")
OTHER_ACTIONS = frozenset(
    text._words(
        "变更 注销 补办 补领 挂失 延续 换发 换领 迁移 密码 转移 终止 遗失 过户 补发 到期 更正 恢复 停业 歇业"
    )
)


@dataclass
class Hit:
    kind: str
    object_id: str
    title: str
    score: float
    highlight: str
    data: dict = field(default_factory=dict)


# --- indexing ------------------------------------------------------------------

_vocab_lock = threading.Lock()
_vocab_at = -1e9


def add_words(words: Iterable[str], *, source: str = "caller") -> list[str]:
    """Add platform words to the segmenter of this process and store them, so
    that every process (web, worker, command) segments the same way."""
    new = text.add_words(words)
    if new:
        SearchWord.objects.bulk_create(
            [SearchWord(word=w, source=source[:20]) for w in new], ignore_conflicts=True
        )
    return new


def ensure_vocabulary(force: bool = False) -> None:
    """Load the stored vocabulary into this process's segmenter (every
    ``VOCAB_SECONDS`` at most)."""
    global _vocab_at
    now = time.monotonic()
    if not force and now - _vocab_at < VOCAB_SECONDS:
        return
    with _vocab_lock:
        _vocab_at = now
    known = text.known_custom_words()
    words = [w for w in SearchWord.objects.values_list("word", flat=True) if w not in known]
    if words:
        text.add_words(words)


@lru_cache(maxsize=200_000)
def _sentence_terms(sentence: str, chars: bool = False) -> tuple[str, ...]:
    return tuple(text.terms(sentence, chars=chars))


def _body_terms(body: str) -> list[str]:
    """Terms of a longer text, sentence by sentence (cached: guides and FAQ
    repeat the same sentences across many documents)."""
    out: dict[str, None] = {}
    for sentence in _split_sentences(body):
        for t in _sentence_terms(sentence):
            out[t] = None
    return list(out)


def _split_sentences(body: str) -> list[str]:
    buf, out = [], []
    for ch in body:
        if ch in "。！？；;!?\n":
            if buf:
                out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    if buf:
        out.append("".join(buf))
    return out


def _keywords_list(keywords) -> list[str]:
    if isinstance(keywords, str):
        keywords = keywords.replace("，", ",").replace("\n", ",").split(",")
    return [k.strip() for k in keywords or () if k and k.strip()]


def build_document(
    kind: str,
    object_id,
    title: str,
    body: str = "",
    keywords: Iterable[str] = (),
    weight: float = 1.0,
    public: bool = True,
    region_path: str = "",
    department_id="",
    data: Mapping | None = None,
) -> SearchDocument:
    """An unsaved SearchDocument with its segmented terms filled in."""
    kws = _keywords_list(keywords)
    title = (title or "").strip()[:300]
    title_terms = _sentence_terms(title, True)
    kw_terms: dict[str, None] = {}
    for k in kws:
        for t in _sentence_terms(k, True):
            kw_terms[t] = None
    words = [t for t in title_terms if len(t) >= 2] + text.chunks(title) + list(kw_terms)
    return SearchDocument(
        kind=kind,
        object_id=str(object_id),
        title=title,
        body=body or "",
        keywords="\n".join(kws),
        weight=float(weight),
        public=bool(public),
        region_path=region_path or "",
        department_id=str(department_id or ""),
        data=dict(data or {}),
        title_terms=" ".join(title_terms),
        keywords_terms=" ".join(kw_terms),
        body_terms=" ".join(_body_terms(body or "")),
        pinyin_terms=" ".join(text.pinyin_terms(words)),
    )


def index_document(
    kind: str,
    object_id,
    title: str,
    body: str = "",
    keywords: Iterable[str] = (),
    weight: float = 1.0,
    public: bool = True,
    **scope,
) -> SearchDocument:
    """Add or replace one document. ``scope``: ``region_path`` (visible in
    that region's subtree only; empty: everywhere), ``department_id``, and
    ``data`` (a small dict returned with each hit, e.g. a code or a URL)."""
    ensure_vocabulary()
    add_words(text.derive_words(title), source=kind)
    doc = build_document(kind, object_id, title, body, keywords, weight, public, **scope)
    with transaction.atomic():
        existing = SearchDocument.objects.filter(kind=kind, object_id=doc.object_id).first()
        if existing:
            doc.id = existing.id
            doc.save(force_update=True)
        else:
            doc.save(force_insert=True)
    _note_kind(kind)
    return doc


def index_documents(kind: str, iterable: Iterable, *, batch_size: int = BATCH) -> int:
    """Add or replace many documents of ``kind`` at once (each a mapping with
    the arguments of :func:`index_document`): one delete and bulk inserts,
    for importers. Returns the number indexed."""
    ensure_vocabulary()
    rows = [dict(r) for r in iterable]
    if not rows:
        return 0
    words: dict[str, None] = {}
    for r in rows:
        for w in text.derive_words(r.get("title", "")):
            words[w] = None
    add_words(words, source=kind)
    ids = [str(r["object_id"]) for r in rows]
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            SearchDocument.objects.filter(
                kind=kind, object_id__in=ids[start : start + 500]
            ).delete()
        batch = []
        for r in rows:
            batch.append(build_document(kind, **r))
            if len(batch) >= batch_size:
                SearchDocument.objects.bulk_create(batch)
                batch = []
        if batch:
            SearchDocument.objects.bulk_create(batch)
    _forget_statistics()
    return len(rows)


def remove_document(kind: str, object_id) -> bool:
    deleted, _ = SearchDocument.objects.filter(kind=kind, object_id=str(object_id)).delete()
    return bool(deleted)


def reindex(kind: str, iterable: Iterable, *, batch_size: int = BATCH) -> int:
    """Replace every document of ``kind`` with those of ``iterable`` — each a
    mapping with the arguments of :func:`index_document` (``object_id``,
    ``title``, ``body``, ``keywords``, ``weight``, ``public``, ``region_path``,
    ``department_id``, ``data``). Words derived from the titles are added to
    the vocabulary first. Returns the number indexed."""
    ensure_vocabulary()
    rows = [dict(r) for r in iterable]
    words: dict[str, None] = {}
    for r in rows:
        for w in text.derive_words(r.get("title", "")):
            words[w] = None
    add_words(words, source=kind)
    _sentence_terms.cache_clear()
    with transaction.atomic():
        SearchDocument.objects.filter(kind=kind).delete()
        batch = []
        for r in rows:
            batch.append(build_document(kind, **r))
            if len(batch) >= batch_size:
                SearchDocument.objects.bulk_create(batch)
                batch = []
        if batch:
            SearchDocument.objects.bulk_create(batch)
    optimise()
    _forget_statistics()
    return len(rows)


def optimise() -> None:
    """Merge the full-text index's segments (SQLite) / its pending list into
    the index proper, and refresh the statistics (PostgreSQL)."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('optimize')")
        elif connection.vendor == "postgresql":
            # fold the GIN index's pending list (bulk inserts land there, and
            # every search reads all of it) into the index proper
            cur.execute("SELECT gin_clean_pending_list('core_searchdocument_fts'::regclass)")
            cur.execute("ANALYZE core_searchdocument")


def stats() -> dict:
    from django.db.models import Count

    from .models import SearchSynonym

    by_kind = dict(
        SearchDocument.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")
    )
    return {
        "documents": by_kind,
        "synonyms": SearchSynonym.objects.filter(is_active=True).count(),
        "words": SearchWord.objects.count(),
        "backend": connection.vendor,
    }


# --- searching: recall in the full-text index ------------------------------------
#
# Each database's index sits behind one small object (_Fts5, _Tsvector): how a
# phrase is written (``phrases``), how many documents hold a phrase (``total``,
# ``df``; among some kinds, ``scoped_df``), how many matches it ranks whole
# (``rank_cap``), and the best matches — by the phrases given (``ranked``), or
# counted first and ranked by all the phrases when few, else by those pruning
# keeps (``ranked_if_few``). The decisions above them — when to count, what to
# leave out, kind by kind (_recall, _ranked, _prune) — are written once.

_COLUMNS = (
    "d.id, d.kind, d.object_id, d.title, d.weight, d.data, "
    "d.title_terms, d.keywords_terms, d.body_terms, d.pinyin_terms"
)


def _scope_sql(kinds, include_private, region_path, department_id, params) -> str:
    sql = ""
    if kinds:
        sql += " AND d.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")"
        params.extend(kinds)
    if not include_private:
        sql += " AND d.public"
    if region_path is not None:
        # documents of that region and of the regions above it (or everywhere)
        sql += " AND (d.region_path = '' OR %s LIKE d.region_path || '%%')"
        params.append(region_path)
    if department_id:
        sql += " AND d.department_id = %s"
        params.append(str(department_id))
    return sql


# The database's rank scores every matching row: beyond this many matches a
# recall query is ranked by its rarer phrases only (see _prune). bm25 is
# cheap per row; ts_rank_cd is dearer, and reads each row's tsvector.
RANK_CAP = 1000
PG_RANK_CAP = 100
_df_lock = threading.Lock()
_df_cache: dict[object, object] = {}
_df_at = -1e9


def _forget_statistics() -> None:
    global _df_at
    with _df_lock:
        _df_cache.clear()
        _df_at = -1e9


def _statistic(key, compute):
    """``compute()``, kept for ``VOCAB_SECONDS``: how common a word is, how
    many documents there are and of which kinds change slowly, and the
    common words (办, 证, 人) cost most to count."""
    global _df_at
    now = time.monotonic()
    with _df_lock:
        if now - _df_at >= VOCAB_SECONDS:
            _df_cache.clear()
            _df_at = now
        if key in _df_cache:
            return _df_cache[key]
    value = compute()
    with _df_lock:
        _df_cache[key] = value
    return value


def _global_df(cur, index, phrase: str) -> tuple[int, int]:
    """(documents holding ``phrase`` — counted far enough to tell the
    common ones, see the index's ``df`` —, the number of documents)."""
    total = _statistic(" total", lambda: index.total(cur))
    return _statistic(phrase, lambda: index.df(cur, phrase, total)), total


def _scoped_df(cur, index, phrase: str, kinds, cap: int) -> int:
    """Documents of ``kinds`` holding ``phrase``, counted up to ``cap`` (see
    the index's ``scoped_df``; kept as the global counts are)."""
    return _statistic((tuple(kinds), phrase, cap), lambda: index.scoped_df(cur, phrase, kinds, cap))


def _note_kind(kind: str) -> None:
    """A document of a kind the kept statistics do not know: forget them, so
    that searches over every kind see it at once (they search kind by kind)."""
    with _df_lock:
        kinds = _df_cache.get(" kinds")
    if kinds is not None and kind not in kinds:
        _forget_statistics()


def _kinds_present(cur) -> list[str]:
    def kinds():
        # one index probe per kind (a loose scan of the (kind, object_id) index)
        cur.execute(
            "WITH RECURSIVE k(kind) AS (SELECT min(kind) FROM core_searchdocument UNION ALL "
            "SELECT (SELECT min(kind) FROM core_searchdocument WHERE kind > k.kind) FROM k "
            "WHERE k.kind IS NOT NULL) SELECT kind FROM k WHERE kind IS NOT NULL"
        )
        return [r[0] for r in cur.fetchall()]

    return list(_statistic(" kinds", kinds))


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts5_kinds(kinds, expr: str) -> str:
    if kinds:
        return "kind : (" + " OR ".join(_fts5_quote(k) for k in kinds) + f") AND ({expr})"
    return expr


_BM25 = f"-bm25({FTS_TABLE}, 10.0, 4.0, 1.0, 3.0, 0.0)"


class _Fts5:
    """SQLite FTS5 (``core_search_fts``), ranked by ``bm25()`` with column
    weights. Counting is cheap: FTS5 walks its posting lists in rowid order
    and stops at the cap, scoring nothing."""

    @staticmethod
    def rank_cap() -> int:
        return RANK_CAP

    @staticmethod
    def phrases(group, body: bool) -> list[str]:
        words, pins = group
        cols = "{title_terms keywords_terms body_terms}" if body else "{title_terms keywords_terms}"
        out = [f"{cols} : {_fts5_quote(w)}" for w in words]
        out += [f"pinyin_terms : {_fts5_quote(p)}{'*' if prefix else ''}" for p, prefix in pins]
        return out

    @staticmethod
    def join(phrase_groups, mode: str) -> str:
        return f" {mode} ".join("(" + " OR ".join(ps) + ")" for ps in phrase_groups)

    @classmethod
    def count(cls, cur, phrase_groups, mode: str, kinds, cap: int) -> int:
        cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
            [_fts5_kinds(kinds, cls.join(phrase_groups, mode)), cap],
        )
        return cur.fetchone()[0]

    @staticmethod
    def total(cur) -> int:
        cur.execute("SELECT count(*) FROM core_searchdocument")
        return cur.fetchone()[0]

    @classmethod
    def df(cls, cur, phrase: str, total: int) -> int:
        """Counted up to half the index: bm25 gives a phrase in more than
        half the documents no weight, and counting it further is dear."""
        return cls.count(cur, [[phrase]], "OR", None, total // 2 + 1)

    @classmethod
    def scoped_df(cls, cur, phrase: str, kinds, cap: int) -> int:
        return cls.count(cur, [[phrase]], "OR", kinds, cap)

    @staticmethod
    def counts_matches(cur, phrase: str) -> bool:
        """Whether ``df`` and ``scoped_df`` count the phrase's matches (they
        always do here)."""
        return True

    @classmethod
    def ranked_if_few(cls, cur, phrase_groups, mode: str, scope, limits, cap: int, prune):
        """(How many match, counted up to ``cap`` + 1; the best of them — by
        all the phrases when no more than ``cap``, the first of ``limits``
        of them, else by those ``prune()`` keeps, the second.)"""
        n = cls.count(cur, phrase_groups, mode, scope[0], cap + 1)
        if n <= cap:
            return n, cls.ranked(cur, phrase_groups, mode, scope, limits[0], None)
        return n, cls.ranked(cur, phrase_groups, mode, scope, limits[1], prune())

    @classmethod
    def ranked(cls, cur, phrase_groups, mode: str, scope, limit: int, kept):
        """Rank inside the full-text table alone (rowid and bm25, a top-N
        sort), then read the few winning documents. Joining first would make
        SQLite read and carry every matching document through the sort —
        with thousands of FAQ entries matching a common word, most of the
        time.

        With ``kept`` (the phrases left after pruning, see _prune), bm25
        ranks by them; the documents that only the left-out phrases find
        follow, unranked, in index order, up to ``limit``.

        The scope filters that the full-text table cannot apply (public,
        region, department) are applied to the winners; when they leave
        fewer than ``limit`` of a truncated list, the query is run again
        unbounded and unpruned, so the result is exactly that of ranking the
        filtered matches."""
        kinds, include_private, region_path, department_id = scope
        filtered = not include_private or region_path is not None or bool(department_id)
        inner = limit * 2 if filtered else limit
        full = cls.join(phrase_groups, mode)
        by = full if kept is None else cls.join(kept, mode)
        cur.execute(
            f"SELECT rowid, {_BM25} AS r FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
            f"ORDER BY r DESC, rowid LIMIT %s",
            [_fts5_kinds(kinds, by), inner],
        )
        ranked = cur.fetchall()
        if kept is not None and len(ranked) < inner:
            cur.execute(
                f"SELECT rowid, 0.0 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
                f"ORDER BY rowid LIMIT %s",
                [_fts5_kinds(kinds, f"({full}) NOT ({by})"), inner - len(ranked)],
            )
            ranked += cur.fetchall()
        if not ranked:
            return []
        params: list = [r[0] for r in ranked]
        where = _scope_sql(None, include_private, region_path, department_id, params)
        cur.execute(
            f"SELECT {_COLUMNS} FROM core_searchdocument d "
            f"WHERE d.id IN ({', '.join(['%s'] * len(ranked))}){where}",
            params,
        )
        docs = {row[0]: row for row in cur.fetchall()}
        if len(docs) < limit and len(ranked) == inner:
            # the filters dropped too many of the best: rank all the matches
            params = [_fts5_kinds(kinds, full)]
            where = _scope_sql(None, include_private, region_path, department_id, params)
            params.append(limit)
            cur.execute(
                f"SELECT {_COLUMNS}, {_BM25} AS r FROM {FTS_TABLE} "
                f"JOIN core_searchdocument d ON d.id = {FTS_TABLE}.rowid "
                f"WHERE {FTS_TABLE} MATCH %s{where} ORDER BY r DESC, d.id LIMIT %s",
                params,
            )
            return cur.fetchall()
        return [(*docs[i], r) for i, r in ranked if i in docs][:limit]


def _pg_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _pg_lexeme(phrase: str) -> tuple[str, bool]:
    """(lexeme, prefix) of a phrase written by _Tsvector.phrases."""
    quoted, _, label = phrase.rpartition(":")
    return quoted[1:-1].replace("''", "'").replace("\\\\", "\\"), label.startswith("*")


class _Tsvector:
    """PostgreSQL's GIN-indexed ``search_vector`` (weights A title, B
    keywords, C body, D pinyin), ranked by ``ts_rank_cd``.

    What costs here, and what the planner does not see:

    - Every row a query looks at has its tsvector read from TOAST (a few
      µs), and ts_rank_cd reads it again and costs more with every phrase
      of the query: counting matches costs nearly what ranking them does.
    - The index holds lexemes without weights: a phrase limited to some
      columns ('身份':AB) hands over every row holding the lexeme anywhere
      (身份 is in most bodies), each checked on its row; and gathering a
      long OR of common lexemes (大 学 业 …) costs before any row is read.

    So how common a phrase is comes from the statistics ANALYZE keeps on
    the column — the most common lexemes, and the share of rows holding
    each: the candidates the index hands over —, only rarer phrases are
    counted, and each query names its way in (see _way_in): the index
    (``@@``), or a walk over the rows with the same test as a function
    (``ts_match_vq``, which no index serves). In kinds of many documents,
    a query ranks no more than the first ``RANK_LIMIT`` matches in index
    order (see _rank)."""

    WEIGHTS = "'{0.3, 0.1, 0.4, 1.0}'"  # D pinyin, C body, B keywords, A title
    INDEXED = "d.search_vector @@ tq"
    WALKED = "ts_match_vq(d.search_vector, tq)"
    # kinds of at most this many documents are walked, rather than asking
    # the index, when it would hand over more candidates (of every kind) than
    # this many per document of theirs …
    SMALL_KINDS = 3000
    MANY_CANDIDATES = 4  # per document of the kinds
    # … and the table is walked for the first few matches when this share
    # of its rows are candidates
    DENSE = 0.1
    # many kinds' documents: ranked among at most this many matches
    RANK_LIMIT = 500

    @staticmethod
    def rank_cap() -> int:
        return PG_RANK_CAP

    @staticmethod
    def phrases(group, body: bool) -> list[str]:
        words, pins = group
        cols = "ABC" if body else "AB"
        out = [f"{_pg_quote(w)}:{cols}" for w in words]
        out += [f"{_pg_quote(p)}:{'*' if prefix else ''}D" for p, prefix in pins]
        # a phrase twice ranks as once, and costs twice
        return list(dict.fromkeys(out))

    @staticmethod
    def join(phrase_groups, mode: str) -> str:
        op = " & " if mode == "AND" else " | "
        return op.join("(" + " | ".join(ps) + ")" for ps in phrase_groups)

    @staticmethod
    def total(cur) -> int:
        """As the last ANALYZE (or VACUUM) counted them, like the lexemes."""
        cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'core_searchdocument'::regclass")
        estimate = cur.fetchone()[0]
        if estimate is not None and estimate >= 0:
            return int(estimate)
        cur.execute("SELECT count(*) FROM core_searchdocument")  # never analysed
        return cur.fetchone()[0]

    @staticmethod
    def _column_stats(cur) -> tuple[list[str], dict[str, float], dict[str, float]]:
        """As the last ANALYZE saw them: the most common lexemes (sorted),
        the share of rows holding each, and the share of rows of each kind."""
        cur.execute(
            "SELECT attname, most_common_elems::text::text[], most_common_elem_freqs, "
            "most_common_vals::text::text[], most_common_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'core_searchdocument' "
            "AND attname IN ('search_vector', 'kind')"
        )
        lexemes: dict[str, float] = {}
        kinds: dict[str, float] = {}
        for attname, elems, elem_freqs, vals, freqs in cur.fetchall():
            if attname == "search_vector" and elems:
                # (the frequencies end with three more: min, max, nulls)
                lexemes = dict(zip(elems, elem_freqs, strict=False))
            elif attname == "kind" and vals:
                kinds = dict(zip(vals, freqs, strict=True))
        return sorted(lexemes), lexemes, kinds

    @classmethod
    def _stats(cls, cur):
        return _statistic(" column stats", lambda: cls._column_stats(cur))

    @classmethod
    def _share(cls, cur, phrase: str) -> float:
        """The share of rows holding the phrase's lexeme (for a prefix, its
        commonest completion), if it is among the common ones; else 0."""
        ordered, freqs, _kinds = cls._stats(cur)
        lexeme, prefix = _pg_lexeme(phrase)
        if not prefix:
            return freqs.get(lexeme, 0.0)
        i = bisect_left(ordered, lexeme)
        share = 0.0
        while i < len(ordered) and ordered[i].startswith(lexeme):
            share = max(share, freqs[ordered[i]])
            i += 1
        return share

    @classmethod
    def _rows(cls, cur, kinds) -> tuple[int, int]:
        """(rows of ``kinds`` — all when None —, all rows)."""
        total = _statistic(" total", lambda: cls.total(cur))
        shares = cls._stats(cur)[2]
        if not kinds or not shares:  # (never analysed: as if all)
            return total, total
        return round(sum(shares.get(k, 0.0) for k in kinds) * total), total

    @classmethod
    def df(cls, cur, phrase: str, total: int) -> int:
        """A common lexeme's candidates, by its share of the rows; a rarer
        phrase is counted, up to half the index (through the index: it has
        few candidates)."""
        share = cls._share(cur, phrase)
        if share:
            return round(share * total)
        return cls._count(cur, phrase, (None, True, None, None), total // 2 + 1, cls.INDEXED)

    @classmethod
    def scoped_df(cls, cur, phrase: str, kinds, cap: int) -> int:
        """As ``df``, among the documents of ``kinds``: what ranking a common
        lexeme costs is the candidates it brings, whatever the columns asked
        for ('dengji':AB has thousands in the pinyin column, and no match)."""
        share = cls._share(cur, phrase)
        if share:
            return min(cap, round(share * cls._rows(cur, kinds)[0]))
        return cls._count(cur, phrase, (kinds, True, None, None), cap, cls.INDEXED)

    @classmethod
    def counts_matches(cls, cur, phrase: str) -> bool:
        """Whether ``df`` and ``scoped_df`` count the phrase's matches: the
        rarer phrases'; a common lexeme's are its candidates."""
        return not cls._share(cur, phrase)

    @classmethod
    def _way_in(cls, cur, phrase_groups, mode: str, kinds, first: bool = False) -> str:
        """The index, unless a walk over the rows reads fewer: the kinds
        searched are few documents and the index would hand over many more
        candidates; or only the ``first`` few matches are wanted, and so
        many rows are candidates that the first rows of the table soon hold
        them, where the index would gather them all first."""
        candidates = _bound(phrase_groups, mode, _phrase_dfs(cur, cls, phrase_groups)[0])
        scoped, total = cls._rows(cur, kinds)
        if scoped <= cls.SMALL_KINDS and candidates > cls.MANY_CANDIDATES * scoped:
            return cls.WALKED
        if first and candidates >= cls.DENSE * total:
            return cls.WALKED
        return cls.INDEXED

    @staticmethod
    def _count(cur, expr: str, scope, cap: int, match: str) -> int:
        """How many rows of ``scope`` match, no more than ``cap``. A CTE is
        planned for all its rows and read only as far as needed: under a bare
        LIMIT the planner would walk the table for a phrase it thinks common,
        though rare in the columns searched."""
        params: list = [expr]
        where = _scope_sql(*scope, params)
        params.append(cap)
        cur.execute(
            "WITH m AS MATERIALIZED (SELECT d.id FROM core_searchdocument d, "
            f"to_tsquery('simple', %s) tq WHERE TRUE{where} AND {match}) "
            "SELECT count(*) FROM (SELECT id FROM m LIMIT %s) c",
            params,
        )
        return cur.fetchone()[0]

    @classmethod
    def ranked(cls, cur, phrase_groups, mode: str, scope, limit: int, kept):
        """The ``limit`` best matches by ts_rank_cd, with the scope filters
        in the same query.

        With ``kept`` (the phrases left after pruning, see _prune), ts_rank_cd
        ranks by them; the documents that only the left-out phrases find
        follow, unranked, in index order (see _unranked; in id order where
        the small kinds are walked whole), up to ``limit``."""
        way_in = cls._way_in(cur, phrase_groups, mode, scope[0])
        if kept is None:
            return cls._rank(cur, phrase_groups, mode, scope, way_in, limit)
        if way_in == cls.WALKED:
            return cls._walk(cur, phrase_groups, mode, scope, limit, -1, kept)[1]
        match = cls._way_in(cur, kept, mode, scope[0])
        rows = cls._rank(cur, kept, mode, scope, match, limit)
        if len(rows) < limit:
            rows += cls._unranked(cur, phrase_groups, mode, scope, limit - len(rows), kept)
        return rows

    @classmethod
    def _rank(cls, cur, phrase_groups, mode: str, scope, match: str, limit: int):
        """The ``limit`` best matches by ts_rank_cd — among the first
        ``RANK_LIMIT`` in index order when there may be more, in kinds of
        many documents: even the rarest phrase left may be in thousands of
        them (经营许可 in 4,000 FAQ titles), each to be read."""
        bounded = (
            cls._rows(cur, scope[0])[0] > cls.SMALL_KINDS
            and _bound(phrase_groups, mode, _phrase_dfs(cur, cls, phrase_groups)[0])
            > cls.RANK_LIMIT
        )
        params: list = [cls.join(phrase_groups, mode)]
        where = cls._where(scope, params, in_table_order=bounded)
        rank = f"ts_rank_cd({cls.WEIGHTS}, d.search_vector, tq) AS r"
        if not bounded:
            params.append(limit)
            cur.execute(
                f"SELECT {_COLUMNS}, {rank} FROM core_searchdocument d, "
                f"to_tsquery('simple', %s) tq WHERE TRUE{where} AND {match} "
                "ORDER BY r DESC, d.id LIMIT %s",
                params,
            )
            return cur.fetchall()
        params += [cls.RANK_LIMIT, limit]
        with cls._table_order(cur):
            cur.execute(
                f"WITH m AS MATERIALIZED (SELECT {_COLUMNS}, d.search_vector, tq "
                f"FROM core_searchdocument d, to_tsquery('simple', %s) tq "
                f"WHERE TRUE{where} AND {match}) "
                f"SELECT {_COLUMNS}, {rank} FROM (SELECT * FROM m LIMIT %s) d "
                "ORDER BY r DESC, d.id LIMIT %s",
                params,
            )
            return cur.fetchall()

    @classmethod
    def ranked_if_few(cls, cur, phrase_groups, mode: str, scope, limits, cap: int, prune):
        """(How many match, counted up to ``cap`` + 1; the best of them — by
        all the phrases when no more than ``cap``, the first of ``limits``
        of them, else by those ``prune()`` keeps, the second.) The first ``cap`` + 1 matches are found (as
        _count does) and, when few, ranked in the same query; small kinds
        walked whole are counted and ranked in one walk."""
        full = cls.join(phrase_groups, mode)
        if cls._way_in(cur, phrase_groups, mode, scope[0]) == cls.WALKED:
            kept = prune()
            if kept is not None:
                return cls._walk(cur, phrase_groups, mode, scope, max(limits), cap, kept)
        match = cls._way_in(cur, phrase_groups, mode, scope[0], first=True)
        params: list = [full]
        where = _scope_sql(*scope, params)
        params += [cap + 1, cap, limits[0]]
        cur.execute(
            "WITH t AS (SELECT to_tsquery('simple', %s) AS tq), "
            "m AS MATERIALIZED (SELECT d.id FROM core_searchdocument d, t "
            f"WHERE TRUE{where} AND {match}), f AS (SELECT id FROM m LIMIT %s) "
            "SELECT c.n, x.* FROM (SELECT count(*) AS n FROM f) c LEFT JOIN LATERAL "
            f"(SELECT {_COLUMNS}, ts_rank_cd({cls.WEIGHTS}, d.search_vector, t.tq) AS r "
            "FROM core_searchdocument d, t WHERE c.n <= %s AND d.id IN (SELECT id FROM f) "
            "ORDER BY r DESC, d.id LIMIT %s) x ON TRUE",
            params,
        )
        rows = cur.fetchall()
        n = rows[0][0]
        if n <= cap:
            return n, [row[1:] for row in rows if row[1] is not None]
        return n, cls.ranked(cur, phrase_groups, mode, scope, limits[1], prune())

    @classmethod
    def _walk(cls, cur, phrase_groups, mode: str, scope, limit: int, cap: int, kept):
        """One walk over small kinds: (the matches counted; ranked by all
        the phrases when no more than ``cap`` — -1: never —, else the kept
        phrases' matches by their rank and then the others in id order)."""
        params: list = [cls.join(phrase_groups, mode), cls.join(kept, mode)]
        where = _scope_sql(*scope, params)
        params += [cap, limit]
        cur.execute(
            f"WITH m AS MATERIALIZED (SELECT {_COLUMNS}, d.search_vector, tq, kq "
            "FROM core_searchdocument d, to_tsquery('simple', %s) tq, "
            f"to_tsquery('simple', %s) kq WHERE TRUE{where} AND {cls.WALKED}), "
            "c AS (SELECT count(*) AS n FROM m) "
            f"SELECT c.n, {_COLUMNS}, CASE WHEN c.n <= %s "
            f"THEN ts_rank_cd({cls.WEIGHTS}, d.search_vector, d.tq) "
            "WHEN ts_match_vq(d.search_vector, d.kq) "
            f"THEN ts_rank_cd({cls.WEIGHTS}, d.search_vector, d.kq) ELSE 0.0 END AS r "
            "FROM m d, c ORDER BY r DESC, d.id LIMIT %s",
            params,
        )
        rows = cur.fetchall()
        return (rows[0][0] if rows else 0), [row[1:] for row in rows]

    @classmethod
    def _unranked(cls, cur, phrase_groups, mode: str, scope, limit: int, kept):
        """The first ``limit`` documents in index order (see _table_order)
        that match, but not by the kept phrases: a walk of the table stops
        at them when the phrases are common. The small kinds' are all found
        (they are few) and taken in id order."""
        params: list = [f"({cls.join(phrase_groups, mode)}) & !({cls.join(kept, mode)})"]
        if cls._rows(cur, scope[0])[0] <= cls.SMALL_KINDS:
            match = cls._way_in(cur, phrase_groups, mode, scope[0])
            where = _scope_sql(*scope, params)
            params.append(limit)
            cur.execute(
                f"SELECT {_COLUMNS}, 0.0 AS r FROM core_searchdocument d, "
                f"to_tsquery('simple', %s) tq WHERE TRUE{where} AND {match} "
                "ORDER BY d.id LIMIT %s",
                params,
            )
            return cur.fetchall()
        match = cls._way_in(cur, phrase_groups, mode, scope[0], first=True)
        where = cls._where(scope, params, in_table_order=True)
        params.append(limit)
        with cls._table_order(cur):
            cur.execute(
                f"WITH m AS MATERIALIZED (SELECT {_COLUMNS}, 0.0 AS r FROM core_searchdocument d, "
                f"to_tsquery('simple', %s) tq WHERE TRUE{where} AND {match}) "
                "SELECT * FROM m LIMIT %s",
                params,
            )
            return cur.fetchall()

    @staticmethod
    def _where(scope, params: list, in_table_order: bool) -> str:
        """The scope's conditions. In table order, the kinds are tested as
        an expression, which their index does not serve (it would hand the
        rows over in the kinds' order)."""
        kinds, *rest = scope
        if not (in_table_order and kinds):
            return _scope_sql(*scope, params)
        where = _scope_sql(None, *rest, params)
        params.extend(kinds)
        return where + " AND (d.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")) IS TRUE"

    @staticmethod
    @contextmanager
    def _table_order(cur):
        """For a query that reads the first matches in index order, the same
        whatever the plan: the index hands rows over in the table's order (a
        bitmap scan reads them block by block), and so does a plain scan,
        which the planner takes for common phrases — when it starts at the
        table's first block, not where another scan of the table is (scans
        are otherwise synchronised; the setting lasts to the end of the
        caller's transaction, if any, and only moves where scans start). A
        CTE is planned for all its rows, and read only as far as needed."""
        with transaction.atomic():
            cur.execute("SET LOCAL synchronize_seqscans = off")
            yield


def _index():
    return _Tsvector if connection.vendor == "postgresql" else _Fts5


def _recall(groups, mode, body, scope, limit):
    """One full-text query: the concepts' groups joined by AND or OR, over
    title and keywords (and body), ranked by the database, at most ``limit``.

    When the database would have to rank too many matches, it ranks by the
    rarer phrases only (see _prune) — and, over several kinds, kind by kind,
    each with its share of ``limit``: a few hundred items are not to be
    crowded out, nor pruned, because a hundred thousand FAQ entries share a
    word with the question."""
    if not groups:
        return []
    index = _index()
    phrase_groups = [index.phrases(g, body) for g in groups]
    kinds = scope[0]
    with connection.cursor() as cur:
        each = kinds or _kinds_present(cur)
        if (
            len(each) < 2
            or _surely_few(cur, index, phrase_groups, mode)
            or _prune(cur, index, phrase_groups, mode, kinds) is None  # nothing to leave out
        ):
            return _ranked(cur, index, phrase_groups, mode, scope, limit, limit)[1]
        # Several kinds, and maybe many matches: each kind is counted and
        # ranked — by the rarer phrases when many —, which also tells
        # whether all of them together are few: then they are ranked
        # together, as one query would.
        cap = index.rank_cap()
        share = max(1, limit // len(each))
        by_kind = [  # (the best ``limit`` of each kind hold the best of all)
            _ranked(cur, index, phrase_groups, mode, ([kind], *scope[1:]), limit, share)
            for kind in each
        ]
        if sum(n for n, _rows in by_kind) <= cap:
            rows = sorted((r for _n, f in by_kind for r in f), key=lambda r: (-r[10], r[0]))
            return rows[:limit]
        return [row for _n, rows in by_kind for row in rows[:share]]


def _phrase_dfs(cur, index, phrase_groups) -> tuple[dict[str, int], int]:
    """Each phrase's global document frequency (see _global_df), and the
    number of documents."""
    stats: dict[str, int] = {}
    total = 0
    for ps in phrase_groups:
        for ph in ps:
            if ph not in stats:
                stats[ph], total = _global_df(cur, index, ph)
    return stats, total


def _bound(phrase_groups, mode: str, counts) -> int:
    """At most how many documents the expression matches, by its phrases'
    counts."""
    sizes = [sum(counts[ph] for ph in ps) for ps in phrase_groups]
    return min(sizes) if mode == "AND" else sum(sizes)


def _surely_few(cur, index, phrase_groups, mode: str) -> bool:
    """Whether the phrases' document frequencies alone show that no more
    documents match than the index's ``rank_cap`` (and none is in more than
    half the index)."""
    stats, total = _phrase_dfs(cur, index, phrase_groups)
    return (
        all(df <= total // 2 for df in stats.values())
        and _bound(phrase_groups, mode, stats) <= index.rank_cap()
    )


def _ranked(cur, index, phrase_groups, mode: str, scope, limit: int, pruned_limit: int):
    """(How many match — counted no further than the index's ``rank_cap``
    + 1 —, the best of them): ranked by all the phrases when no more match
    than ``rank_cap``, ``limit`` of them, else by the rarer phrases (see
    _prune), ``pruned_limit``. No need to count when the phrases' document
    frequencies show that few match, that a phrase is in more than half the
    index, or that one phrase alone matches too many (_surely_many)."""
    cap = index.rank_cap()
    stats, total = _phrase_dfs(cur, index, phrase_groups)

    def prune():
        return _prune(cur, index, phrase_groups, mode, scope[0])

    if any(df > total // 2 for df in stats.values()):
        return cap + 1, index.ranked(cur, phrase_groups, mode, scope, pruned_limit, prune())
    bound = _bound(phrase_groups, mode, stats)
    if bound <= cap:
        return bound, index.ranked(cur, phrase_groups, mode, scope, limit, None)
    if mode == "OR" and _surely_many(cur, index, stats, scope[0], cap):
        return cap + 1, index.ranked(cur, phrase_groups, mode, scope, pruned_limit, prune())
    return index.ranked_if_few(cur, phrase_groups, mode, scope, (limit, pruned_limit), cap, prune)


def _surely_many(cur, index, stats, kinds, cap: int) -> bool:
    """Whether one phrase alone is known to match more documents (of
    ``kinds``) than ``cap``: then so does an OR of them, uncounted."""
    for ph, df in stats.items():
        if index.counts_matches(cur, ph):
            n = _scoped_df(cur, index, ph, kinds, cap + 1) if kinds else df
            if n > cap:
                return True
    return False


def _prune(cur, index, phrase_groups, mode: str, kinds) -> list[list[str]] | None:
    """Fewer of the phrases (per group), for the database to rank by when
    all of them match too much, or None when none can be left out.

    Phrases are left out of the ranking, most common first: those in at
    least half of the index (bm25 gives them no weight, yet counting them
    is the dearest part of the query: 办 is in nearly every FAQ title), and
    then, while the matches could exceed the index's ``rank_cap``, the
    commonest of the others — a document holding only those would be ranked
    low anyway. A group keeps at least one phrase under AND, the query at
    least one under OR. The documents only the left-out phrases find still
    come, unranked, after the ranked ones (see the index's ``ranked``)."""
    cap = index.rank_cap()
    stats, total = _phrase_dfs(cur, index, phrase_groups)
    # how many of the searched kinds hold each phrase
    scoped = {ph: _scoped_df(cur, index, ph, kinds, cap + 1) for ph in stats} if kinds else stats
    keep = [list(ps) for ps in phrase_groups]

    def removable(i: int, ph: str) -> bool:
        if mode == "AND":
            return len(keep[i]) > 1
        return sum(len(k) for k in keep) > 1

    for i, ps in enumerate(phrase_groups):
        for ph in sorted(ps, key=lambda ph: -stats[ph]):
            if stats[ph] > total // 2 and removable(i, ph):
                keep[i].remove(ph)
    while _bound(keep, mode, scoped) > cap:
        order = sorted(((scoped[ph], i, ph) for i, k in enumerate(keep) for ph in k), reverse=True)
        victim = next(((i, ph) for _n, i, ph in order if removable(i, ph)), None)
        if victim is None:
            break
        keep[victim[0]].remove(victim[1])
    if keep == phrase_groups:
        return None
    return [k for k in keep if k]


def _staged_recall(parsed: q.ParsedQuery, scope, limit: int, recall_limit: int):
    """Cheapest first, widening only while fewer than ``limit`` candidates:
    all telling concepts in title/keywords (AND); any of them (OR); any of
    them anywhere, body included; then the weak words too."""
    rows: dict[int, tuple] = {}
    strong = parsed.recall_groups(strong_only=True)
    stages = []
    if len(strong) > 1:
        stages.append((strong, "AND", False))
    stages += [(strong, "OR", False), (strong, "OR", True)]
    for groups, mode, body in stages:
        if not groups:
            continue
        for row in _recall(groups, mode, body, scope, recall_limit):
            rows.setdefault(row[0], row)
        if len(rows) >= limit:
            break
    # The weak words (办理, 申请, single characters) match a large part of the
    # index: pull documents in by them only when the telling words found
    # (almost) nothing, and then by title and keywords only.
    if len(rows) < WEAK_RECALL_BELOW:
        weak = parsed.recall_groups(strong_only=False)
        if weak:
            groups = [(sum((w for w, _ in weak), []), sum((p for _, p in weak), []))]
            for row in _recall(groups, "OR", False, scope, recall_limit):
                rows.setdefault(row[0], row)
    return list(rows.values())


@lru_cache(maxsize=50_000)
def _field_values(title_terms: str, keywords_terms: str, body_terms: str) -> dict[str, float]:
    """term → the value of the best field holding it (title, then keywords,
    then body). Cached: the same documents come back query after query."""
    values = dict.fromkeys(body_terms.split(), F_BODY)
    values.update(dict.fromkeys(keywords_terms.split(), F_KEYWORDS))
    values.update(dict.fromkeys(title_terms.split(), F_TITLE))
    return values


@lru_cache(maxsize=50_000)
def _pinyin_values(pinyin_terms: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The pinyin terms as a set, and sorted (for prefix look-ups)."""
    items = pinyin_terms.split()
    return frozenset(items), tuple(sorted(set(items)))


def _has_prefix(ordered: tuple[str, ...], p: str) -> bool:
    i = bisect_left(ordered, p)
    return i < len(ordered) and ordered[i].startswith(p)


@lru_cache(maxsize=50_000)
def _compact(title: str) -> str:
    return text.normalise(title).replace(" ", "")


class _Candidate:
    __slots__ = ("row", "matched_terms", "matched_pinyin")

    def __init__(self, row, matched_terms, matched_pinyin):
        self.row = row
        self.matched_terms: set[str] = matched_terms
        self.matched_pinyin: set[tuple[str, bool]] = matched_pinyin


class _Plan:
    """The parsed query laid out for scoring many candidates: per concept its
    weight and readings — ``(None, (pinyin, prefix), factor)`` or
    ``(((term, weight), …), total weight, factor)`` —, and every term and pinyin term once, so each
    candidate looks each of them up once."""

    __slots__ = ("concepts", "terms", "pins")

    def __init__(self, parsed: q.ParsedQuery):
        self.concepts = []
        terms: dict[str, None] = {}
        pins: dict[tuple[str, bool], None] = {}
        for concept in parsed.concepts:
            alts = []
            for a in concept.alts:
                if a.pinyin:
                    pins[(a.pinyin, a.prefix)] = None
                    alts.append((None, (a.pinyin, a.prefix), a.factor))
                else:
                    total = 0.0
                    for w in a.weights:
                        total += w
                    terms.update(dict.fromkeys(a.terms))
                    alts.append((tuple(zip(a.terms, a.weights, strict=True)), total, a.factor))
            self.concepts.append((concept.weight, alts))
        self.terms = tuple(terms)
        self.pins = tuple(pins)


def _score_cover(plan: _Plan, row) -> tuple[float, set[str], set[tuple[str, bool]]]:
    """Σ concept weight × its best reading's credit, and the title terms and
    pinyin terms matched.

    A reading of words earns the weighted share of them the document holds,
    each by its best field (title, keywords, body), and only ``PARTIAL`` of
    that when one of its telling words is missing: 经营 and 许可 alone are not
    食品经营许可. A pinyin reading earns ``F_PINYIN`` (0.8 of it as a
    prefix)."""
    values = _field_values(row[6], row[7], row[8])
    vals = {t: values.get(t, 0.0) for t in plan.terms}
    matched = {t for t, v in vals.items() if v == F_TITLE}
    matched_pinyin: set[tuple[str, bool]] = set()
    pin_vals: dict[tuple[str, bool], float] = {}
    if plan.pins:
        pset, plist = _pinyin_values(row[9])
        for key in plan.pins:
            p, prefix = key
            if p in pset:
                matched_pinyin.add((p, False))
                pin_vals[key] = F_PINYIN
            elif prefix and _has_prefix(plist, p):
                matched_pinyin.add((p, True))
                pin_vals[key] = F_PINYIN * 0.8
            else:
                pin_vals[key] = 0.0
    cover = 0.0
    for weight, alts in plan.concepts:
        best = 0.0
        for tw, total, factor in alts:
            if tw is None:  # a pinyin reading; total is its (pinyin, prefix)
                credit = pin_vals[total] * factor
            else:
                if not total:
                    credit = 0.0
                else:
                    got = 0.0
                    missing_telling = False
                    for t, w in tw:
                        v = vals[t]
                        got += w * v
                        if not v and w >= 1.0:
                            missing_telling = True
                    credit = got / total * (PARTIAL if missing_telling else 1.0) * factor
            if credit > best:
                best = credit
        cover += weight * best
    return cover, matched, matched_pinyin


def _title_coverage(title: str, matched: set[str]) -> float:
    """Share of the title's characters that the matched words cover: among
    equally matching items, the one the question explains best comes first
    (失业保险金申领 before 领取失业保险金期间职业介绍补贴申领)."""
    low = _compact(title)
    if not low:
        return 0.0
    marks = [False] * len(low)
    for w in matched:
        start = low.find(w)
        while start != -1:
            for i in range(start, start + len(w)):
                marks[i] = True
            start = low.find(w, start + len(w))
    return sum(marks) / len(low)


def _asks_other_action(parsed: q.ParsedQuery) -> bool:
    for concept in parsed.concepts:
        for alt in concept.alts:
            if any(t in OTHER_ACTIONS for t in alt.terms):
                return True
    return any(w in parsed.normal for w in OTHER_ACTIONS)


def _rank(parsed: q.ParsedQuery, rows) -> list[tuple[float, _Candidate]]:
    if not rows:
        return []
    total_weight = sum(c.weight for c in parsed.concepts) or 1.0
    top_r = max(float(r[10] or 0.0) for r in rows) or 1.0
    exact = {e.replace(" ", "") for e in parsed.exact}
    prefer_obtain = not _asks_other_action(parsed)
    plan = _Plan(parsed)
    ranked = []
    for row in rows:
        cover, matched, matched_pinyin = _score_cover(plan, row)
        title = row[3]
        score = 100.0 * cover / total_weight
        score += 10.0 * _title_coverage(title, matched)
        score += 1.0 * float(row[10] or 0.0) / top_r
        if _compact(title) in exact:
            score += 30.0
        if prefer_obtain and any(w in title for w in OBTAIN_ACTIONS):
            score += 2.0
        score *= float(row[4])
        ranked.append((score, _Candidate(row, matched, matched_pinyin)))
    ranked.sort(key=lambda sc: (-round(sc[0], 6), len(sc[1].row[3]), sc[1].row[1], sc[1].row[2]))
    return ranked


def highlight(
    title: str, terms: Iterable[str] = (), pinyin: Iterable[tuple[str, bool]] = ()
) -> str:
    """The title, HTML-escaped, with ``<mark>`` around the matched words."""
    low = text.normalise(title) if len(text.normalise(title)) == len(title) else title.lower()
    marks = [False] * len(title)
    words = set(terms)
    pins = list(pinyin)
    if pins:
        for w in text.terms(title):
            if len(w) < 2 or not text.has_cjk(w):
                continue
            full, ini = text.pinyin_full(w), text.pinyin_initials(w)
            for p, prefix in pins:
                if p in (full, ini) or (prefix and (full.startswith(p) or ini.startswith(p))):
                    words.add(w)
    for w in sorted(words, key=len, reverse=True):
        if not w:
            continue
        start = low.find(w)
        while start != -1:
            for i in range(start, start + len(w)):
                marks[i] = True
            start = low.find(w, start + len(w))
    out, open_ = [], False
    for ch, m in zip(title, marks, strict=True):
        if m and not open_:
            out.append("<mark>")
            open_ = True
        elif not m and open_:
            out.append("</mark>")
            open_ = False
        out.append(html.escape(ch))
    if open_:
        out.append("</mark>")
    return "".join(out)


def search(
    query: str,
    kinds: Iterable[str] | str | None = None,
    limit: int = 10,
    *,
    include_private: bool = False,
    region_path: str | None = None,
    department_id=None,
) -> list[Hit]:
    """Search. ``kinds`` restricts to document kinds; ``region_path`` keeps
    documents of that region and the regions above it (and those without a
    region); ``department_id`` keeps one department's documents. Raises
    ValidationFailed for a query over ``MAX_QUERY_LENGTH`` characters; a
    blank query finds nothing."""
    if query is not None and len(query) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            _("搜索词过长（最多 %(n)d 个字符）/ Query too long (at most %(n)d characters)")
            % {"n": MAX_QUERY_LENGTH},
            code="query_too_long",
            fields={
                "q": _("最多 %(n)d 个字符 / at most %(n)d characters") % {"n": MAX_QUERY_LENGTH}
            },
        )
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = sorted(set(kinds)) if kinds else None
    limit = max(1, min(int(limit), 100))
    ensure_vocabulary()
    parsed = q.parse(query or "")
    if not parsed.concepts:
        return []
    scope = (kinds, include_private, region_path, department_id)
    recall_limit = max(RECALL_LIMIT, limit * 4)
    rows = _staged_recall(parsed, scope, limit, recall_limit)
    if not rows:
        rows = _recall_by_sound(parsed, scope, recall_limit)
    ranked = _rank(parsed, rows)[:limit]
    return [
        Hit(
            kind=c.row[1],
            object_id=c.row[2],
            title=c.row[3],
            score=round(score, 4),
            highlight=highlight(c.row[3], c.matched_terms, c.matched_pinyin),
            data=_data(c.row[5]),
        )
        for score, c in ranked
    ]


def _recall_by_sound(parsed: q.ParsedQuery, scope, recall_limit):
    """Last resort: read the whole query by its sound (pinyin n-grams of it),
    for typos in words the segmenter does know."""
    compact = parsed.normal.replace(" ", "")
    chunk = [t for t in text.cut(compact) if t not in text.STOPWORDS and text.has_cjk(t)]
    sylls = [s for t in chunk for s in text.syllables(t)]
    n = len(sylls)
    alts = []
    for a in range(n):
        for b in range(a + 2, min(n, a + q.MAX_PINYIN_NGRAM) + 1):
            alts.append(q.Alt(pinyin=text.fuzzy("".join(sylls[a:b])), factor=(b - a) / n))
    if not alts:
        return []
    concept = q.Concept(compact + "(拼音)", alts, weight=1.0, strong=True)
    parsed.concepts.append(concept)
    pins = list(dict.fromkeys((a.pinyin, a.prefix) for a in alts))
    return _recall([([], pins)], "OR", False, scope, recall_limit)


def _data(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        import json

        try:
            return json.loads(value)
        except ValueError:
            return {}
    return {}
