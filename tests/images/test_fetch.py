"""The fetcher against a real HTTP(S) server on 127.0.0.1: limits, redirects, address pinning, TLS."""

import datetime
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from articles.images import fetch as fetch_module
from articles.images.fetch import FetchError, FetchPolicy, fetch
from tests.images import samples
from tests.images.server import ImageServer


def test_fetches_an_image_from_an_allowed_host(server):
    url = server.serve("/photo.jpg", samples.photo())
    fetched = fetch(url, FetchPolicy.from_settings())
    assert fetched.content == samples.photo()
    assert server.host_headers == [server.allowed]


def test_the_same_url_is_refused_without_the_allowlist_entry(server, settings):
    url = server.serve("/photo.jpg", samples.photo())
    settings.IMAGE_FETCH_ALLOWED_HOSTS = []
    with pytest.raises(FetchError, match=r"port \d+ is not 80 or 443") as refused:
        fetch(url, FetchPolicy.from_settings())
    assert refused.value.permanent
    assert server.hits["/photo.jpg"] == 0


def test_loopback_is_refused_even_on_an_allowed_port(server):
    # Port 80 passes the port rule, but 127.0.0.1:80 is not listed: the address check applies.
    with pytest.raises(FetchError, match="loopback"):
        fetch("http://127.0.0.1/photo.jpg", FetchPolicy.from_settings())


def test_a_name_for_the_allowed_address_is_not_allowed(server):
    url = server.serve("/photo.jpg", samples.photo())
    with pytest.raises(FetchError, match=r"port \d+ is not 80 or 443"):
        fetch(url.replace("127.0.0.1", "localhost"), FetchPolicy.from_settings())


def test_a_host_name_resolving_to_a_private_address_is_refused(monkeypatch):
    calls = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        addresses = {"evil.example": ["10.0.0.5"], "mixed.example": ["93.184.216.34", "127.0.0.1"]}[host]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    def no_connect(*args):
        raise AssertionError("a refused address must never be connected to")

    monkeypatch.setattr(fetch_module.socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(fetch_module, "_connect", no_connect)
    with pytest.raises(FetchError, match=r"resolves to 10\.0\.0\.5: private"):
        fetch("https://evil.example/a.jpg", FetchPolicy())
    # One bad record refuses the host: the resolver must not get to choose.
    with pytest.raises(FetchError, match=r"resolves to 127\.0\.0\.1: loopback"):
        fetch("https://mixed.example/a.jpg", FetchPolicy())
    assert calls == ["evil.example", "mixed.example"]


def test_connects_to_the_checked_address_with_the_original_host_header(server, monkeypatch):
    """DNS is asked once per hop; http.client never resolves (or re-resolves: no rebinding window)."""
    url = server.serve("/photo.jpg", samples.photo())
    calls = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        calls.append((host, port))
        if len(calls) > 1:
            raise AssertionError("resolved twice")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(fetch_module.socket, "getaddrinfo", fake_getaddrinfo)
    pinned = FetchPolicy(allowed_hosts=frozenset({("images.test", server.port)}))
    fetched = fetch(url.replace("127.0.0.1", "images.test"), pinned)
    assert fetched.content == samples.photo()
    assert calls == [("images.test", server.port)]
    assert server.host_headers == [f"images.test:{server.port}"]


def test_proxy_variables_are_ignored(server, monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there: a proxied request would fail
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    url = server.serve("/photo.jpg", samples.photo())
    assert fetch(url, FetchPolicy.from_settings()).content == samples.photo()


def test_slow_response_times_out(server, settings):
    settings.IMAGE_FETCH_READ_TIMEOUT = 0.3
    url = server.stall("/slow.jpg")  # answers only once the test is over: a read timeout is the only way out
    with pytest.raises(FetchError) as timed_out:
        fetch(url, FetchPolicy.from_settings())
    assert str(timed_out.value) == "timed out (no data for 0.3s)"
    assert not server.finished["/slow.jpg"].is_set()  # the server never answered


def test_dripping_response_is_cut_at_the_total_deadline(server, settings):
    settings.IMAGE_FETCH_READ_TIMEOUT = 1
    settings.IMAGE_FETCH_TOTAL_TIMEOUT = 0.6
    url = server.drip("/drip.jpg", total=200, interval=0.05)  # 10 s of body, never idle for a second
    with pytest.raises(FetchError, match=r"took longer than 0\.6s"):
        fetch(url, FetchPolicy.from_settings())
    assert server.finished["/drip.jpg"].wait(30)
    assert server.dripped["/drip.jpg"] < 200  # cut off mid-body, not judged after reading it all


def test_oversize_stream_is_cut_at_the_byte_limit(server, settings):
    settings.IMAGE_FETCH_MAX_BYTES = 256 * 1024
    url = server.stream("/huge.jpg", total=8 * 1024 * 1024)  # no Content-Length: counted while streaming
    with pytest.raises(FetchError, match="exceeds the 262144-byte limit"):
        fetch(url, FetchPolicy.from_settings())


def test_oversize_declared_length_is_refused_before_reading(server, settings):
    settings.IMAGE_FETCH_MAX_BYTES = 256 * 1024
    url = server.stream("/declared.jpg", total=1024, declare=50 * 1024 * 1024)
    with pytest.raises(FetchError, match="declares 52428800 bytes"):
        fetch(url, FetchPolicy.from_settings())


def test_response_shorter_than_declared_is_a_failure(server):
    url = server.stream("/short.jpg", total=1024, declare=4096)
    with pytest.raises(FetchError, match="closed after 1024 of 4096 bytes"):
        fetch(url, FetchPolicy.from_settings())


def test_http_errors_are_failures_that_may_be_retried(server):
    url = server.flaky("/busy.jpg", samples.photo(), failures=1)
    with pytest.raises(FetchError, match="HTTP 503") as failed:
        fetch(url, FetchPolicy.from_settings())
    assert not failed.value.permanent
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(server.url("/missing.jpg"), FetchPolicy.from_settings())


def test_redirects_are_followed_up_to_three(server):
    server.serve("/photo.jpg", samples.photo())
    server.redirect("/r3", "/photo.jpg", status=301)
    server.redirect("/r2", server.url("/r3"), status=307)
    url = server.redirect("/r1", "/r2", status=308)
    fetched = fetch(url, FetchPolicy.from_settings())
    assert fetched.url == server.url("/photo.jpg")
    assert fetched.content == samples.photo()
    too_many = server.redirect("/r0", "/r1")
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch(too_many, FetchPolicy.from_settings())
    assert server.hits["/photo.jpg"] == 1


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://10.1.2.3/internal.jpg", "private address"),
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "cloud metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("http://[::ffff:127.0.0.1]/photo.jpg", "IPv4-mapped"),
        ("http://127.0.0.1/photo.jpg", "loopback"),
        ("http://localhost/photo.jpg", "loopback"),
        ("http://0x7f.1/photo.jpg", "numeric host"),
        ("http://2130706433/photo.jpg", "numeric host"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("http://internal.example:8080/", "port 8080"),
    ],
)
def test_redirect_to_a_forbidden_target_is_refused(server, location, reason):
    server.serve("/photo.jpg", samples.photo())
    url = server.redirect("/go", location)
    with pytest.raises(FetchError, match=reason) as refused:
        fetch(url, FetchPolicy.from_settings())
    assert not refused.value.permanent  # the item's own URL was fine; upstream may fix its redirect
    assert server.hits["/photo.jpg"] == 0


def test_redirect_to_another_port_of_the_allowed_host_is_refused(server):
    url = server.redirect("/go", f"http://127.0.0.1:{server.port + 1}/photo.jpg")
    with pytest.raises(FetchError, match=f"port {server.port + 1} is not 80 or 443"):
        fetch(url, FetchPolicy.from_settings())


# TLS ---------------------------------------------------------------------------------------------------------


def _certificate(common_name: str, issuer_key, issuer_name, *, ca: bool, key=None, sans=()):
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    return key, builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 whose certificate names `images.test`, issued by a test CA."""
    directory = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = _certificate("Test CA", None, None, ca=True)
    key, cert = _certificate("images.test", ca_key, ca_cert.subject, ca=False, sans=["images.test"])
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    server = ImageServer(ssl_context=context).start()
    server.serve("/photo.jpg", samples.photo())
    client = ssl.create_default_context(cadata=ca_cert.public_bytes(serialization.Encoding.PEM).decode())
    yield server, client
    server.stop()


@pytest.fixture
def resolve_to_loopback(monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(fetch_module.socket, "getaddrinfo", fake_getaddrinfo)


def test_tls_verifies_the_original_host_name_on_the_pinned_address(tls_server, resolve_to_loopback, monkeypatch):
    server, trusted = tls_server
    monkeypatch.setattr(fetch_module, "_TLS", trusted)
    allowed = frozenset({("images.test", server.port), ("other.test", server.port)})
    fetched = fetch(f"https://images.test:{server.port}/photo.jpg", FetchPolicy(allowed_hosts=allowed))
    assert fetched.content == samples.photo()
    # Same address, same certificate, but the certificate does not name the host we asked for.
    with pytest.raises(FetchError, match=r"CERTIFICATE_VERIFY_FAILED|Hostname mismatch"):
        fetch(f"https://other.test:{server.port}/photo.jpg", FetchPolicy(allowed_hosts=allowed))


def test_tls_refuses_an_untrusted_certificate(tls_server, resolve_to_loopback):
    server, _ = tls_server  # the default context does not trust the test CA
    allowed = frozenset({("images.test", server.port)})
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(f"https://images.test:{server.port}/photo.jpg", FetchPolicy(allowed_hosts=allowed))
