"""The OpenAPI schema: it generates without a single drf-spectacular warning
or error and validates against the OpenAPI 3 meta-schema; the docs page next
to it loads nothing from another host (the county's network may not reach
the internet, and a government page must not leak its visitors to one)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

pytestmark = pytest.mark.django_db


def _generate(tmp_path: Path, capsys) -> tuple[Path, list[str], Exception | None]:
    """Run ``spectacular --validate --fail-on-warn``; return the file, the
    warning/error lines it printed, and the exception it raised (if any)."""
    GENERATOR_STATS.reset()  # warnings are de-duplicated per process: start clean
    out = tmp_path / "schema.yaml"
    failure = None
    try:
        call_command(
            "spectacular", "--validate", "--fail-on-warn", "--api-version", "1", "--file", str(out)
        )
    except Exception as exc:  # SchemaGenerationError / SchemaValidationError
        failure = exc
    problems = sorted({*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache})
    problems += [
        line
        for line in capsys.readouterr().err.splitlines()
        if re.match(r".*(Warning|Error)", line)
    ]
    GENERATOR_STATS.reset()
    return out, sorted(set(problems)), failure


def test_schema_generates_without_warnings_and_validates(tmp_path, capsys):
    out, problems, failure = _generate(tmp_path, capsys)
    assert not problems, "drf-spectacular warnings/errors:\n" + "\n".join(problems)
    assert failure is None, f"schema generation failed: {failure!r}"
    schema = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"].startswith("Yiwang API")
    paths = schema["paths"]
    assert paths and all(p.startswith("/api/v1/") for p in paths), sorted(paths)[:5]
    # The surfaces the other apps and the fuzz test rely on are described.
    for expected in ("/api/v1/accounts/token/", "/api/v1/citizens/", "/api/v1/regions/"):
        assert expected in paths, f"{expected} missing from the schema"
    # Each case move documents its own body and what it does.
    accept = paths["/api/v1/cases/{id}/accept/"]["post"]
    assert accept["summary"] == "受理 / accept"
    body = accept["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/OpinionRequest"), body
    attach = paths["/api/v1/cases/{id}/attach/"]["post"]["requestBody"]["content"]
    assert list(attach) == ["multipart/form-data"], list(attach)
    # Every operation has a unique operationId (clients are generated from them).
    ids = [
        op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op
    ]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


def test_schema_endpoint_serves_the_same_document(client):
    resp = client.get("/api/v1/schema/")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.oai.openapi")
    schema = yaml.safe_load(resp.content)
    assert schema["openapi"].startswith("3.") and schema["info"]["version"].startswith("1")
    resp = client.get("/api/v1/schema/?format=json")
    assert resp.status_code == 200 and resp.json()["paths"]


class _Sources(HTMLParser):
    """Every URL the page would fetch by itself: script/img/iframe src, link
    href (stylesheets, preconnects, icons), and url(...) inside <style>."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "embed") and a.get("src"):
            self.urls.append((tag, a["src"]))
        if tag == "link" and a.get("href"):
            self.urls.append((f"link rel={a.get('rel')}", a["href"]))
        if tag == "object" and a.get("data"):
            self.urls.append((tag, a["data"]))
        for name in ("spec-url",):  # redoc's own element
            if a.get(name):
                self.urls.append((f"{tag} {name}", a[name]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += [("style url()", u) for u in re.findall(r"url\(['\"]?([^)'\"]+)", data)]
            self.urls += [
                ("style @import", u) for u in re.findall(r"@import\s+['\"]([^'\"]+)", data)
            ]


def test_api_docs_page_loads_nothing_from_another_host(client):
    resp = client.get("/api/v1/docs/")
    assert resp.status_code == 200
    html = resp.content.decode()
    parser = _Sources()
    parser.feed(html)
    assert any(tag == "script" for tag, _ in parser.urls), "the docs page has no script"
    foreign = [
        (tag, url) for tag, url in parser.urls if urlsplit(url).netloc or url.startswith("//")
    ]
    assert not foreign, f"the docs page loads from other hosts: {foreign}"
    # Every script and stylesheet is one of our static files and is really there.
    static = settings.STATIC_URL
    for tag, url in parser.urls:
        if tag == "script" or "stylesheet" in tag:
            assert url.startswith(static), f"{tag} {url} is not a static file"
            rel = url[len(static) :].split("?")[0]
            assert finders.find(rel), f"{url} is not found among the static files"
    assert "fonts.googleapis.com" not in html and "cdn.jsdelivr.net" not in html
