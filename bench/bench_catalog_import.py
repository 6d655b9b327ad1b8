"""Catalog import benchmark (issue #3): rows per second importing the real
item list of 广安区 (1,135 rows) with ``yiwang catalog import``'s code path.

Prints:

    catalog_import_rows_per_s = V rows/s (ratio R to baseline)
        the first import into an empty catalog (departments, items, a draft
        guide each, the county list, an audit entry per item);
        baseline: plain ``bulk_create`` of the same number of minimal rows
        (code + name) into a scratch table on the same database in the same run.
    catalog_reimport_rows_per_s = V rows/s (ratio R to baseline)
        the second, idempotent import of the same file (changes nothing).
    catalog_import_demo_rows_per_s = V rows/s (ratio R to baseline)
        a fresh import with generated demo guides, published (with
        ``--demo-guides --publish``: every guide passes the consistency rules).

Usage:  .venv/bin/python bench/bench_catalog_import.py [--db sqlite|postgres] [--skip-demo]
``--db postgres`` uses DATABASE_URL's server with a scratch database
(<name>_bench_catalog), created and dropped by the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ITEMS_CSV = ROOT.parent / "shared" / "data" / "guangan-service-items.csv"
sys.path.insert(0, str(ROOT / "src"))


def setup_database(db: str):
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings"
    os.environ["YIWANG_VAR_DIR"] = tempfile.mkdtemp(prefix="yiwang-bench-catalog-")
    cleanup = None
    if db == "postgres":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            sys.exit("--db postgres needs DATABASE_URL=postgres://…")
        import psycopg

        base, _, name = url.rpartition("/")
        scratch = f"{name.split('?')[0]}_bench_catalog"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
            conn.execute(f'CREATE DATABASE "{scratch}"')
        os.environ["DATABASE_URL"] = f"{base}/{scratch}"

        def cleanup():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')

    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return cleanup


def baseline_rows_per_s(n: int, rounds: int = 3) -> float:
    """bulk_create of n minimal rows into a scratch table; best of rounds."""
    from django.db import connection, models, transaction

    class BenchRow(models.Model):
        code = models.CharField(max_length=64, unique=True)
        name = models.CharField(max_length=200)

        class Meta:
            app_label = "bench_catalog"
            db_table = "bench_catalog_row"

        def __str__(self):
            return self.code

    with connection.schema_editor() as editor:
        editor.create_model(BenchRow)
    best = 0.0
    try:
        for _ in range(rounds):
            BenchRow.objects.all().delete()
            rows = [BenchRow(code=f"CODE-{i:06d}", name=f"事项{i}") for i in range(n)]
            started = time.perf_counter()
            with transaction.atomic():
                BenchRow.objects.bulk_create(rows, batch_size=500)
            best = max(best, n / (time.perf_counter() - started))
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(BenchRow)
    return best


def wipe_catalog():
    from django.db import connection

    from yiwang.catalog.models import (
        GuideVersion,
        ItemLevel,
        MaterialRequirement,
        ProcessStep,
        ServiceItem,
    )

    MaterialRequirement.objects.all().delete()
    ProcessStep.objects.all().delete()
    ItemLevel.objects.all().delete()
    with connection.cursor() as cur:  # frozen versions refuse the ORM: a bench reset
        cur.execute(f"DELETE FROM {GuideVersion._meta.db_table}")
    ServiceItem.halls.through.objects.all().delete()
    ServiceItem.objects.all().delete()


def timed_import(**kwargs):
    from yiwang.catalog.importer import import_csv

    started = time.perf_counter()
    report = import_csv(ITEMS_CSV, **kwargs)
    return report, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--skip-demo", action="store_true", help="skip the demo-guides figure")
    args = parser.parse_args(argv)
    cleanup = setup_database(args.db)
    try:
        from django.db import connection

        report, seconds = timed_import()
        rows = report.rows
        assert report.created == rows and not report.errors, report.summary()
        baseline = baseline_rows_per_s(rows)
        first = rows / seconds
        again, seconds2 = timed_import()
        assert again.created == 0 and again.updated == 0, again.summary()
        print(f"# {connection.vendor}: {rows} rows; baseline bulk_create {baseline:.0f} rows/s")
        print(
            f"catalog_import_rows_per_s = {first:.0f} rows/s (ratio {first / baseline:.4f} to baseline)"
        )
        second = rows / seconds2
        print(
            f"catalog_reimport_rows_per_s = {second:.0f} rows/s (ratio {second / baseline:.4f} to baseline)"
        )
        if not args.skip_demo:
            wipe_catalog()
            from yiwang.catalog.demo import RETAINED_PROOFS
            from yiwang.catalog.models import RetainedProof

            for name, body, basis in RETAINED_PROOFS:
                RetainedProof.objects.get_or_create(
                    name=name, defaults={"issuing_body": body, "legal_basis": basis}
                )
            demo, seconds3 = timed_import(demo_guides_=True, publish=True)
            assert demo.published == rows, demo.summary()
            third = rows / seconds3
            print(
                f"catalog_import_demo_rows_per_s = {third:.0f} rows/s (ratio {third / baseline:.4f} to baseline)"
            )
    finally:
        if cleanup:
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
