"""ORM queries of a fixed shape, compiled once and run many times; inserts
whose statement is written once per model.

Turning a queryset into SQL is most of what a simple query costs in Python:
for the token check (a token, its user and the user's roles with their
regions, halls and departments: seven tables) Django spends about ten times
longer writing the statement than the database spends running it. A query
that runs on every request and whose SQL never changes, only its values, can
be written once with the ORM as usual and compiled once::

    @prepared(str)
    def token_roles(key):
        return StaffRole.objects.filter(user__auth_token__key=key).select_related("user")

    roles = token_roles(key)   # a list of StaffRole, as list(queryset) gives
    role = token_roles.first(key)   # the first of them, or None

The first call in each thread builds the queryset twice per argument with
sample values, finds which of the statement's parameters each argument
fills (and that nothing else changes), and keeps the statement, how rows
become model instances (``select_related`` included) and the database
converters, as Django's own iterator would use them. Later calls only run
the statement with the new values and build the instances.

What can be prepared: a queryset of model instances (no ``values()``,
``prefetch_related`` or ``extra``) whose arguments each stand for one plain
value compared as it is (``=``, ``<``, ``>``, ``__in`` with a list of fixed
length; not ``__contains`` or ``__startswith``, whose values are rewritten,
nor a slice bound, which is written into the statement). A
queryset that does not qualify is refused on its first call with
``ImproperlyConfigured``, so a test that calls it once proves it. An argument
is turned into its declared type (``str``, ``int``, ``uuid.UUID``) and may not
be None (``= NULL`` is not ``IS NULL``). Not for lookups whose SQL names the
active time zone (``__date``, ``__year``… on a datetime): the statement
keeps the zone it was compiled in.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router
from django.db.models import NOT_PROVIDED, BinaryField, Model
from django.db.models.query import ModelIterable, QuerySet, get_related_populators
from django.db.transaction import TransactionManagementError

_TYPES = (str, int, uuid.UUID)


def _sample(kind: type, n: int):
    """Two different sample values of ``kind`` (``n`` 0 or 1), unlikely to
    equal any constant of a query."""
    if kind is str:
        return f"prepared-sample-{n}-{uuid.uuid4().hex}"
    if kind is int:
        return 7_000_000_000_001 + n * 1_000_003
    return uuid.uuid4()


# How an argument may reach the statement's parameters: as it is, or as a
# backend stores it (a UUID is 32 hex digits on SQLite).
_TRANSFORMS: tuple[Callable[[Any], Any], ...] = (lambda v: v, lambda v: v.hex, str)


class _Plan:
    """One compiled query on one connection (one thread's)."""

    __slots__ = (
        "alias",
        "annotations",
        "compiler",
        "converters",
        "end",
        "for_update",
        "init_list",
        "model",
        "params",
        "populators",
        "slots",
        "sql",
        "start",
    )


class PreparedQuery:
    """See the module's docstring; made by ``prepared``."""

    def __init__(self, build: Callable[..., QuerySet], types: tuple[type, ...]):
        for kind in types:
            if kind not in _TYPES:
                raise ImproperlyConfigured(
                    f"prepared query {build.__qualname__}: argument type {kind!r} "
                    f"is not one of {', '.join(t.__name__ for t in _TYPES)}"
                )
        self._build, self._types = build, types
        self._local = threading.local()
        functools.update_wrapper(self, build)

    def __call__(self, *args) -> list:
        if len(args) != len(self._types):
            raise TypeError(
                f"{self._build.__qualname__} takes {len(self._types)} arguments, got {len(args)}"
            )
        values = []
        for arg, kind in zip(args, self._types, strict=True):
            if type(arg) is not kind:
                arg = _as(kind, arg, self._build.__qualname__)
            values.append(arg)
        plan = getattr(self._local, "plan", None)
        if plan is None:
            plan = self._local.plan = self._compile()
        params = list(plan.params)
        for i, j, transform in plan.slots:
            params[i] = transform(values[j])
        connection = connections[plan.alias]
        if plan.for_update and connection.get_autocommit():
            # As Django says when it compiles such a query.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        cursor = statement_cursor(connection)
        cursor.execute(plan.sql, params)
        rows = cursor.fetchall()
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        out = []
        for row in rows:
            obj = plan.model.from_db(plan.alias, plan.init_list, row[plan.start : plan.end])
            for populator in plan.populators:
                populator.populate(row, obj)
            for name, pos in plan.annotations:
                setattr(obj, name, row[pos])
            out.append(obj)
        return out

    def first(self, *args):
        """The first instance the query finds, or None."""
        found = self(*args)
        return found[0] if found else None

    def __copy__(self):
        return self  # one per query, shared (serializer fields are copied)

    def __deepcopy__(self, memo):
        return self

    def _compiled(self, values: list):
        qs = self._build(*values)
        name = self._build.__qualname__
        if not isinstance(qs, QuerySet):
            raise ImproperlyConfigured(f"prepared query {name} must return a QuerySet")
        if qs._iterable_class is not ModelIterable or qs._prefetch_related_lookups:
            raise ImproperlyConfigured(
                f"prepared query {name}: only model instances, without prefetch_related"
            )
        if qs.query.extra or qs._known_related_objects:
            raise ImproperlyConfigured(f"prepared query {name}: extra() is not supported")
        compiler = qs.query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()
        return qs.db, compiler, sql, list(params)

    def _compile(self) -> _Plan:
        name = self._build.__qualname__
        samples = [_sample(kind, 0) for kind in self._types]
        alias, compiler, sql, params = self._compiled(samples)
        slots: dict[int, tuple[int, Callable]] = {}
        for j, kind in enumerate(self._types):
            other = list(samples)
            other[j] = _sample(kind, 1)
            _alias, _c, sql_j, params_j = self._compiled(other)
            if sql_j != sql or len(params_j) != len(params):
                raise ImproperlyConfigured(
                    f"prepared query {name}: argument {j + 1} changes the statement, "
                    "not only a value"
                )
            moved = [i for i, (a, b) in enumerate(zip(params, params_j, strict=True)) if a != b]
            if not moved:
                raise ImproperlyConfigured(
                    f"prepared query {name}: argument {j + 1} is not a value of the statement"
                )
            for i in moved:
                transform = next((t for t in _TRANSFORMS if _same(t, samples[j], params[i])), None)
                if i in slots or transform is None or not _same(transform, other[j], params_j[i]):
                    raise ImproperlyConfigured(
                        f"prepared query {name}: argument {j + 1} is not compared as it is "
                        "(use a plain lookup: =, <, >)"
                    )
                slots[i] = (j, transform)

        plan = _Plan()
        plan.alias, plan.compiler, plan.sql = alias, compiler, sql
        features = connections[alias].features
        plan.for_update = bool(
            compiler.query.select_for_update
            and features.has_select_for_update
            and features.supports_transactions
        )
        plan.params = [None if i in slots else p for i, p in enumerate(params)]
        plan.slots = [(i, j, t) for i, (j, t) in sorted(slots.items())]
        select, klass_info = compiler.select, compiler.klass_info
        plan.model = klass_info["model"]
        fields = klass_info["select_fields"]
        plan.start, plan.end = fields[0], fields[-1] + 1
        plan.init_list = [f[0].target.attname for f in select[plan.start : plan.end]]
        plan.populators = get_related_populators(klass_info, select, alias)
        plan.annotations = list(compiler.annotation_col_map.items())
        plan.converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        return plan


def _as(kind: type, value, name: str):
    if value is None:
        raise TypeError(f"{name}: None cannot be a prepared value")
    try:
        return kind(value)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{name}: {value!r} is not a {kind.__name__}") from exc


def _same(transform, value, param) -> bool:
    try:
        return transform(value) == param
    except AttributeError:
        return False


_PK_TYPES = {
    "UUIDField": uuid.UUID,
    "CharField": str,
    "AutoField": int,
    "BigAutoField": int,
    "SmallAutoField": int,
}


def by_pk(queryset: QuerySet) -> PreparedQuery:
    """``queryset.filter(pk=…)`` prepared: a list of zero or one instance.
    ``.queryset`` is the queryset it was made from."""
    model = queryset.model
    kind = _PK_TYPES.get(model._meta.pk.get_internal_type())
    if kind is None:
        raise ImproperlyConfigured(f"by_pk: {model.__name__}'s key type is not supported")

    def by_key(pk):
        return queryset.filter(pk=pk)

    by_key.__qualname__ = f"by_pk({model.__name__})"
    lookup = PreparedQuery(by_key, (kind,))
    lookup.queryset = queryset
    return lookup


def prepared(*types: type) -> Callable[[Callable[..., QuerySet]], PreparedQuery]:
    """Decorate a function building a queryset from ``types`` arguments: see
    the module's docstring."""
    return lambda build: PreparedQuery(build, types)


# --- Cursors ----------------------------------------------------------------


def statement_cursor(connection, *, raw: bool = False):
    """A cursor for one statement, as ``connection.cursor()`` gives it (the
    request's health check, Django's error classes, execute wrappers and
    query log), over a database cursor kept with the connection instead of
    made anew for every statement (~20 µs each here, a few per request). Not
    to be closed by the caller. ``raw``: a psycopg ``RawCursor``
    (PostgreSQL's own ``$n`` placeholders, and none of Django's time-zone
    loaders: for statements whose rows are not read)."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    db = connection.connection
    slot = "_yiwang_raw_cursor" if raw else "_yiwang_cursor"
    kept_for, kept = getattr(connection, slot, (None, None))
    if kept_for is not db:  # none yet, or the connection was opened anew
        with connection.wrap_database_errors:
            if raw:
                from psycopg import RawCursor

                kept = RawCursor(db)
            else:
                kept = connection.create_cursor()
        setattr(connection, slot, (db, kept))
    connection.validate_thread_sharing()
    if connection.queries_logged:
        return connection.make_debug_cursor(kept)
    return connection.make_cursor(kept)


# --- Inserts ---------------------------------------------------------------

_INSERTS: dict[tuple, tuple[str, list]] = {}


def insert(*objs) -> None:
    """Insert new instances of one model, as ``bulk_create`` does: no
    signals and no ``save()`` (a model with its own is refused unless that is
    marked ``insert_compatible``); each field's ``pre_save``, so defaults and
    ``auto_now`` apply; afterwards the instances are saved ones
    (``_state.adding`` False). The statement is written once per model,
    database and number of rows instead of compiled on every call: for the
    rows every case move writes (the case, its timeline events, the audit
    entry, the outbox event and its deliveries), compiling was most of the
    cost of writing them. Inside ``together()`` the rows are written with the
    block's others.

    For models of one table whose key is set before saving (the project's
    UUIDs) and whose fields take plain values. Refused, with
    ``ImproperlyConfigured`` or ``TypeError``: a proxy or an inherited
    model, a key left for the database to assign, a field with a database
    default or its own placeholder (a binary field's is plain on PostgreSQL
    and SQLite), a value that is an expression (``F("n") + 1``). Use the ORM
    for those."""
    if not objs:
        return
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("insert: all rows must be of one model")
    alias = router.db_for_write(model)
    connection = connections[alias]
    key = (model, alias, connection.vendor, len(objs))
    plan = _INSERTS.get(key)
    if plan is None:
        plan = _INSERTS[key] = _insert_plan(model, connection, len(objs))
    sql, fields = plan
    params = []
    for obj in objs:
        if obj.pk is None:
            raise ImproperlyConfigured(f"insert: {model.__name__} rows need their key set")
        if not obj._state.adding:
            raise TypeError(f"insert: this {model.__name__} is already saved")
        obj._prepare_related_fields_for_save(operation_name="insert")
        for field, attname, plain in fields:
            if plain:
                value = getattr(obj, attname)
                if type(value) in plain:
                    params.append(value)
                    continue
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"insert: {model.__name__}.{field.name} is an expression")
            params.append(field.get_db_prep_save(value, connection))
    pending = getattr(connection, _PENDING, None)
    if pending is not None:
        pending.append((sql, params))
    else:
        statement_cursor(connection).execute(sql, params)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


# --- Rows written together -------------------------------------------------

# On a connection inside ``together()``: the (statement, parameters) of the
# inserts not written yet.
_PENDING = "_yiwang_inserts_pending"


@contextlib.contextmanager
def together(using: str = "default"):
    """Inside a transaction, write the rows ``insert`` is given in this block
    together: on PostgreSQL in one statement (one data-modifying ``WITH``
    per insert), elsewhere one statement after the other. They are written
    when the block ends, or as soon as anything else is about to run on the
    connection (a query, an update, a savepoint or its rollback), so every
    statement sees them as if each had been written at once; only errors
    (a duplicate key) come later, at that point, than the ``insert`` call.
    Foreign keys are checked at commit (Django makes them deferrable), so
    the order of the rows does not matter.

    Every case move writes several new rows in a row (a new case: the case,
    its two events, the audit entry and its stream head, the outbox event
    and its delivery): one round trip to the database instead of six. The
    rows of a block that raises are written too (as without ``together``)
    unless writing them fails, when the block's own error is raised."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise TransactionManagementError("together() needs a transaction (transaction.atomic)")
    if getattr(connection, _PENDING, None) is not None:  # an outer block writes them
        yield
        return
    setattr(connection, _PENDING, [])
    try:
        with connection.execute_wrapper(_written_first):
            try:
                yield
            except BaseException:
                with contextlib.suppress(Exception):
                    _write_pending(connection)
                raise
            _write_pending(connection)
    finally:
        setattr(connection, _PENDING, None)


def _written_first(execute, sql, params, many, context):
    _write_pending(context["connection"])
    return execute(sql, params, many, context)


def _write_pending(connection) -> None:
    pending = getattr(connection, _PENDING, None)
    if not pending:
        return
    setattr(connection, _PENDING, [])  # before executing: the wrapper sees none
    if connection.vendor != "postgresql":
        cursor = statement_cursor(connection)
        for sql, params in pending:
            cursor.execute(sql, params)
        return
    # One statement. Run on a raw psycopg cursor with PostgreSQL's own
    # placeholders, under Django's wrapper (its error classes and execute
    # wrappers): psycopg would otherwise parse a statement this long for its
    # ``%s`` on every run instead of once. When queries are logged (DEBUG,
    # tests counting them) Django's log writes the values into the ``%s``
    # form, so that one runs.
    sql, raw_sql = _together_sql(tuple(sql for sql, _params in pending))
    params = [value for _sql, params in pending for value in params]
    if connection.queries_logged:
        statement_cursor(connection).execute(sql, params)
    else:
        statement_cursor(connection, raw=True).execute(raw_sql, params)


_TOGETHER: dict[tuple[str, ...], tuple[str, str]] = {}


def _together_sql(statements: tuple[str, ...]) -> tuple[str, str]:
    """``WITH w0 AS (<insert>), … <last insert>``, with ``%s`` and with
    ``$1…$n`` (the inserts' SQL holds no other ``%``), once per shape."""
    both = _TOGETHER.get(statements)
    if both is None:
        *first, last = statements
        sql = (
            ("WITH " + ", ".join(f"w{i} AS ({s})" for i, s in enumerate(first)) + " ")
            if first
            else ""
        )
        sql += last
        parts = sql.split("%s")
        raw = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
        both = _TOGETHER[statements] = (sql, raw)
    return both


def insert_compatible(save):
    """Mark a model's ``save`` override as one ``insert`` may skip (it adds
    nothing to a first save that ``insert`` does not do)."""
    save.insert_compatible = True
    return save


def _insert_plan(model, connection, rows: int) -> tuple[str, list]:
    meta = model._meta
    if meta.proxy or meta.parents:
        raise ImproperlyConfigured(f"insert: {model.__name__} is not a model of one table")
    if model.save is not Model.save and not getattr(model.save, "insert_compatible", False):
        raise ImproperlyConfigured(
            f"insert: {model.__name__} has its own save(), which insert would skip"
        )
    fields = [f for f in meta.local_concrete_fields if not f.generated]
    for field in fields:
        if field is meta.auto_field or field.db_default is not NOT_PROVIDED:
            raise ImproperlyConfigured(
                f"insert: {model.__name__}.{field.name} is given its value by the database"
            )
        # A binary field asks the backend for its placeholder: a plain one
        # on PostgreSQL and SQLite.
        plain = (
            isinstance(field, BinaryField) and connection.ops.binary_placeholder_sql(b"") == "%s"
        )
        if hasattr(field, "get_placeholder") and not plain:
            raise ImproperlyConfigured(
                f"insert: {model.__name__}.{field.name} needs its own placeholder"
            )
    qn = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * rows)}"
    )
    return sql, [(f, f.attname, _plain_types(f, connection)) for f in fields]


# Fields whose value, of one of these types, is what the database is given:
# ``pre_save`` reads the attribute and ``get_db_prep_save`` returns the value
# itself. ``insert`` then skips both (three to five calls each, for most of
# a row's twenty to fifty fields). Exact classes only: a subclass may
# change either method. Whether the backend changes the value (a UUID on a
# database without a UUID type, an integer PostgreSQL's backend wraps) is
# found on samples, by ``_plain_types``.
_PLAIN = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.UUIDField: (uuid.UUID,),
}


def _plain_types(field, connection) -> frozenset:
    """The types of ``field``'s values ``insert`` passes as they are (none:
    every value goes through the field's own methods). Checked on samples
    once, so a Django whose methods change value stops the shortcut."""
    target = (
        field.target_field if type(field) in (models.ForeignKey, models.OneToOneField) else field
    )
    kinds = _PLAIN.get(type(target))
    if kinds is None:
        return frozenset()
    samples = {str: "sample", bool: True, int: 7, uuid.UUID: uuid.uuid4()}
    for kind in kinds:
        value = samples[kind]
        if field.get_db_prep_save(value, connection) is not value:
            return frozenset()
    if field.get_db_prep_save(None, connection) is not None:
        return frozenset()
    return frozenset((*kinds, type(None)))
