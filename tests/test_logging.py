"""Logs as the processes write them: one parseable line per request and per import run, nothing twice, no secrets.

Read from the stderr of real processes (gunicorn, runserver, manage.py) with the project's LOGGING, because
duplicate lines come from the handler configuration that an in-process log capture would bypass.
"""

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from django.test import RequestFactory

from newsroom.logformat import JsonFormatter, LogfmtFormatter
from newsroom.request_log import log_request, request_query
from tests.conftest import REPO
from tests.factories import item_data, write_items
from tests.public.conftest import make_article
from tests.servers import Site, gunicorn_site, site_env

SECRETS = ["hunter2-password", "tok-123-secret", "SESSION-ID-0123456789", "SECRET-BLOB", "csrf-cookie-value"]
REQUEST_FIELDS = {"method", "path", "status", "duration_ms", "client", "pid"}


def parse_logfmt(line: str) -> dict:
    fields = {}
    for match in re.finditer(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line):
        value = match[2]
        fields[match[1]] = json.loads(value) if value.startswith('"') else value
    return fields


def parse(line: str, log_format: str) -> dict | None:
    """A line of ours as fields, or None for gunicorn's own lines."""
    if log_format == "json":
        return json.loads(line) if line.startswith("{") else None
    return parse_logfmt(line) if line.startswith("ts=") else None


def record(message: str, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("newsroom.test", logging.WARNING, __file__, 1, message, None, exc_info)


def test_a_record_is_always_one_parseable_line():
    hostile = 'line one\nline two "quoted" \\ \x00 \x1b[31m \u2028 é'
    fields = {"path": "/a b/", "status": 404, "ok": True, "hostile": hostile}
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        exc_info = sys.exc_info()
    for message, exc in ((hostile, None), ("with a traceback", exc_info)):
        item = record(message, exc_info=exc)
        item.fields = fields
        logfmt = LogfmtFormatter().format(item)
        assert "\n" not in logfmt and "\x00" not in logfmt and "\u2028" not in logfmt
        parsed = parse_logfmt(logfmt)
        assert parsed["msg"] == message and parsed["hostile"] == hostile
        assert parsed["level"] == "warning" and parsed["logger"] == "newsroom.test" and parsed["path"] == "/a b/"
        assert parsed["status"] == "404" and parsed["ok"] == "true"
        as_json = JsonFormatter().format(item)
        assert "\n" not in as_json
        decoded = json.loads(as_json)
        assert decoded["msg"] == message and decoded["hostile"] == hostile and decoded["status"] == 404
        if exc:
            assert "ValueError: boom\nsecond line" in parsed["exc"] and decoded["exc"] == parsed["exc"]


@pytest.fixture
def console():
    """A console like settings.LOGGING's, writing into a buffer; `request_line` makes it the only handler of request
    records for one call (pytest adds its own to loggers while a test runs)."""
    return logging.StreamHandler(io.StringIO())


@pytest.fixture
def records():
    """The LogRecords made for request lines."""
    made, factory = [], logging.getLogRecordFactory()

    def counting(*args, **kwargs):
        record = factory(*args, **kwargs)
        if record.name == "newsroom.requests":
            made.append(record)
        return record

    logging.setLogRecordFactory(counting)
    yield made
    logging.setLogRecordFactory(factory)


def request_line(console, *others: logging.Handler) -> str:
    """What log_request writes to `console`, the one handler of request records with `others`, if any."""
    request = RequestFactory().get("/topics/robots%20and%20ai/", {"page": "2"}, REMOTE_ADDR="192.0.2.7")
    console.stream.seek(0)
    console.stream.truncate()
    requests = logging.getLogger("newsroom.requests")
    saved = requests.handlers[:], requests.propagate
    requests.handlers[:], requests.propagate = [console, *others], False
    try:
        log_request(request, query="page=2", status=200, started=time.perf_counter() - 0.25)
    finally:
        requests.handlers[:], requests.propagate = saved
    return console.stream.getvalue()


@pytest.mark.parametrize("formatter", [LogfmtFormatter, JsonFormatter])
def test_a_request_line_written_straight_to_the_console_is_the_line_logging_writes(console, records, formatter):
    console.setFormatter(formatter())
    direct = request_line(console)
    assert not records  # straight to the stream
    console.addFilter(lambda record: True)  # a filter: the record goes through logging
    through_logging = request_line(console)
    assert len(records) == 1
    assert direct.count("\n") == through_logging.count("\n") == 1
    read = json.loads if formatter is JsonFormatter else parse_logfmt
    direct, through_logging = read(direct), read(through_logging)
    assert float(direct.pop("duration_ms")) >= 250 and float(through_logging.pop("duration_ms")) >= 250
    assert list(direct) == list(through_logging)  # the same fields in the same order
    assert direct.pop("ts")[:16] == through_logging.pop("ts")[:16]
    assert direct == through_logging
    assert direct["path"] == "/topics/robots%20and%20ai/" and direct["client"] == "192.0.2.7"


def test_the_part_of_a_request_line_kept_for_the_next_request_is_kept_per_format(console):
    read = {LogfmtFormatter: parse_logfmt, JsonFormatter: json.loads}
    lines = []
    for formatter in (LogfmtFormatter, JsonFormatter) * 2:
        console.setFormatter(formatter())
        fields = read[formatter](request_line(console))
        assert float(fields.pop("duration_ms")) >= 250 and fields.pop("ts")
        lines.append(fields)
    assert lines[0]["method"] == "GET" and lines[0]["query"] == "page=2"
    assert lines[2] == lines[0] and lines[3] == lines[1]


def test_request_lines_reach_every_handler_and_no_disabled_one(console, records):
    console.setFormatter(LogfmtFormatter())
    other = logging.StreamHandler(io.StringIO())
    assert request_line(console, other) and other.stream.getvalue() and len(records) == 1
    requests = logging.getLogger("newsroom.requests")
    requests.setLevel(logging.WARNING)
    try:
        assert request_line(console) == "" and len(records) == 1
    finally:
        requests.setLevel(logging.INFO)
    console.setLevel(logging.WARNING)
    assert request_line(console) == ""


def test_a_query_string_is_logged_the_same_each_time_it_comes(settings):
    factory = RequestFactory()
    for _ in range(2):  # the second one from the kept queries
        assert (
            request_query(factory.get("/search/", {"q": "robots", "token": "tok-1"})) == "q=robots&token=%5Bredacted%5D"
        )
    assert request_query(factory.get("/search/", {"q": "ai"})) == "q=ai"
    assert request_query(factory.get("/search/")) == ""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1
    assert request_query(factory.get("/search/", {"q": "robots", "token": "tok-1"})) == "[unparsable]"


class BrokenStream(io.StringIO):
    def write(self, text):
        raise OSError("disk full")


@pytest.mark.parametrize("through_logging", [False, True])
def test_a_line_that_cannot_be_written_is_reported_as_logging_reports_it(console, capsys, through_logging):
    console.setFormatter(LogfmtFormatter())
    console.setStream(BrokenStream())
    if through_logging:
        console.addFilter(lambda record: True)
    assert request_line(console) == ""  # no exception: the answer still goes out
    report = capsys.readouterr().err
    assert "--- Logging error ---" in report and "OSError: disk full" in report


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("log_format", ["logfmt", "json"])
def test_one_line_per_request_with_its_fields_and_no_secret(django_db_setup, tmp_path, log_format):
    make_article("Robots learn", secured="SECRET-BLOB-xyz")
    with gunicorn_site(site_env(DJANGO_LOG_FORMAT=log_format), tmp_path / "gunicorn.log") as site:
        ready = len(site.log_lines())  # the start-up probes of /healthz
        cookie = "sessionid=SESSION-ID-0123456789; csrftoken=csrf-cookie-value"
        requests = [
            ("GET", "/", None, 200),
            ("GET", "/search/?q=robots&password=hunter2-password&token=tok-123-secret&page=", None, 200),
            ("GET", "/nope/", None, 404),
            ("GET", "/api/articles/%00/", None, 400),
            ("POST", "/admin/login/", b"username=boss&password=hunter2-password", 403),  # no CSRF token
            ("GET", "/admin/", None, 302),
        ]
        for method, path, body, status in requests:
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            assert site.fetch(method, path, body=body, headers=headers) == status, path
        # A forged Host header: Django logs the refusal itself (django.security), once.
        assert site.fetch("GET", "/", headers={"Host": "evil.example"}) == 400
        lines = site.log_lines()[ready:]
        worker_pid, master_pid = None, site.process.pid

    ours = [fields for fields in (parse(line, log_format) for line in lines) if fields is not None]
    request_lines = [fields for fields in ours if fields["logger"] == "newsroom.requests"]
    assert len(request_lines) == len(requests) + 1, "\n".join(lines)
    for (method, path, _, status), fields in zip(requests, request_lines, strict=False):
        assert set(fields) >= REQUEST_FIELDS and fields["msg"] == "request"
        assert fields["method"] == method and fields["path"] == path.split("?")[0]
        assert int(fields["status"]) == status and float(fields["duration_ms"]) >= 0
        assert fields["client"] == "127.0.0.1"
        worker_pid = worker_pid or fields["pid"]
        assert fields["pid"] == worker_pid and int(fields["pid"]) != master_pid  # the worker that answered
    assert request_lines[1]["query"] == "q=robots&password=%5Bredacted%5D&token=%5Bredacted%5D&page="
    assert int(request_lines[-1]["status"]) == 400  # the forged Host
    # Django's own security warnings, once each: the forged Host, the login POST without a CSRF token.
    host = [fields for fields in ours if fields["logger"] == "django.security.DisallowedHost"]
    assert len(host) == 1 and "evil.example" in host[0]["msg"]
    assert len([fields for fields in ours if fields["logger"] == "django.security.csrf"]) == 1
    # No "Not Found: /nope/" warning repeating a request line, nothing else of ours.
    assert len(ours) == len(request_lines) + 2, "\n".join(lines)
    text = "\n".join(lines)
    for secret in SECRETS:
        assert secret not in text


def _env(**overrides) -> dict:
    return {"PATH": os.environ["PATH"], "DJANGO_SECRET_KEY": "x" * 50, "DATABASE_URL": "sqlite:///:memory:"} | overrides


def test_django_warnings_print_once_in_development():
    code = "; ".join([
        "import logging",
        "logging.getLogger('django.security.csrf').warning('probe-warning')",
        "logging.getLogger('django.request').error('probe-error')",
        "logging.getLogger('articles').warning('probe-app')",
    ])  # fmt: skip
    for debug in ("1", "0"):
        result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO,
                                env=_env(DJANGO_DEBUG=debug), capture_output=True, text=True, timeout=60)  # fmt: skip
        assert result.returncode == 0, result.stderr
        for probe in ("probe-warning", "probe-error", "probe-app"):
            assert result.stderr.count(probe) == 1, (debug, result.stderr)


@pytest.mark.django_db(transaction=True)
def test_runserver_prints_one_line_per_request(django_db_setup, tmp_path):
    """`make run`'s server: its own request lines would repeat ours."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = site_env(DJANGO_DEBUG="1")
    log = tmp_path / "runserver.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                                  cwd=REPO, env=env, stdout=stderr, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        site = Site(f"http://127.0.0.1:{port}", server, log)
        status = None
        for _ in range(300):
            try:
                status = site.fetch("GET", "/robots.txt")
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        assert status == 200, log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if "/robots.txt" in line]
    assert len(lines) == 1 and lines[0].startswith("ts=") and "status=200" in lines[0], lines


@pytest.mark.django_db(transaction=True)
def test_one_line_per_import_run(django_db_setup, tmp_path):
    paths = write_items(tmp_path / "batch", {"one.md": item_data(1), "two.md": item_data(2), "bad.md": {"x": 1}})
    env = site_env()
    command = [sys.executable, "manage.py", "import_articles", str(paths[0].parent), "--jobs", "1"]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr  # one file failed
    lines = [parse_logfmt(line) for line in result.stderr.splitlines() if "logger=articles.imports" in line]
    assert len(lines) == 1, result.stderr
    fields = lines[0]
    assert fields["msg"] == "import" and fields["status"] == "finished" and fields["dry_run"] == "false"
    assert (fields["files"], fields["created"], fields["updated"], fields["failed"]) == ("3", "2", "0", "1")
    assert float(fields["duration_ms"]) > 0 and int(fields["run"]) > 0
    assert "c2VjcmV0" not in result.stderr  # the items' `secured` values
