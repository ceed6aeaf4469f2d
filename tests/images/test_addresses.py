"""URL parsing and the address policy of the image fetcher (pure: no network, no database)."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured

from articles.images.addresses import RefusedURL, parse_allowed_hosts, parse_target, refusal_reason

ALLOWED = parse_allowed_hosts(["127.0.0.1:8081", "[::1]:8082", "Images.Test.:8083"])


@pytest.mark.parametrize(
    ("url", "host", "port", "path", "host_header"),
    [
        ("https://cdn.example.com/a/b.jpg?w=1&h=2", "cdn.example.com", 443, "/a/b.jpg?w=1&h=2", "cdn.example.com"),
        ("HTTP://CDN.Example.COM./x.png", "cdn.example.com", 80, "/x.png", "cdn.example.com"),
        ("http://cdn.example.com:443/x", "cdn.example.com", 443, "/x", "cdn.example.com:443"),
        ("https://cdn.example.com", "cdn.example.com", 443, "/", "cdn.example.com"),
        ("https://bücher.example/ä ö.jpg".replace(" ", "%20"), "xn--bcher-kva.example", 443, "/%C3%A4%20%C3%B6.jpg",
         "xn--bcher-kva.example"),
        ("https://93.184.216.34/img.jpg", "93.184.216.34", 443, "/img.jpg", "93.184.216.34"),
        ("https://[2606:2800:220:1::248]/i.jpg", "2606:2800:220:1::248", 443, "/i.jpg", "[2606:2800:220:1::248]"),
        ("https://img.example.com/a.jpg#fragment", "img.example.com", 443, "/a.jpg", "img.example.com"),
    ],
)  # fmt: skip
def test_accepted_urls_are_normalised(url, host, port, path, host_header):
    target = parse_target(url)
    assert (target.host, target.port, target.path, target.host_header) == (host, port, path, host_header)
    assert not target.allowlisted


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a.jpg",
        "file:///etc/passwd",
        "gopher://example.com:70/",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "//example.com/a.jpg",
        "https://user:pass@example.com/a.jpg",
        "https://user@example.com/a.jpg",
        "https://example.com@10.0.0.1/a.jpg",
        "https://example.com:8080/a.jpg",
        "http://example.com:22/",
        "http://example.com:0/",
        "http://example.com:99999/",
        "http://example.com:80abc/",
        "http://example.com /a.jpg",
        "http://example.com/a b.jpg",
        "http://example.com/a.jpg\r\nX-Injected: 1",
        "http://example.com\\@10.0.0.1/",
        "http://exa\tmple.com/",
        "http:///a.jpg",
        "http://2130706433/",  # 127.0.0.1 in decimal
        "http://0x7f000001/",  # hex
        "http://0x7f.1/",  # hex, short form
        "http://0177.0.0.1/",  # octal
        "http://0177.0000.0000.0001/",
        "http://127.1/",  # short form
        "http://127.0.1/",
        "http://010.0.0.1/",  # leading zero: octal to some parsers
        "http://1.2.3.4.5/",
        "http://256.0.0.1/",
        "http://0x/",
        "http://[fe80::1%25eth0]/",  # zone id
        "http://[::1/",
        "http://exa_mple..com/",
        "http://-bad-.example/",
        "http://%31%32%37.0.0.1/",
        "https://" + "a" * 64 + ".example/",
        "https://example.com/" + "a" * 5000,
    ],
)
def test_refused_urls(url):
    with pytest.raises(RefusedURL):
        parse_target(url)


def test_allowlist_admits_exactly_the_listed_host_and_port():
    assert parse_target("http://127.0.0.1:8081/a.jpg", ALLOWED).allowlisted
    assert parse_target("http://[::1]:8082/a.jpg", ALLOWED).allowlisted
    assert parse_target("http://images.test:8083/a.jpg", ALLOWED).allowlisted
    for url in (
        "http://127.0.0.1:8082/a.jpg",  # another port on the same host
        "http://localhost:8081/a.jpg",  # another name for the same address
        "http://127.0.0.2:8081/a.jpg",
        "http://[::ffff:127.0.0.1]:8081/a.jpg",
    ):
        with pytest.raises(RefusedURL):
            parse_target(url, ALLOWED)
    for url in ("http://2130706433:8081/", "http://0x7f.1:8081/", "http://0177.0.0.1:8081/"):
        with pytest.raises(RefusedURL, match="numeric host"):
            parse_target(url, ALLOWED)
    # Listed on its port, but the default ports stay subject to the address check (not allowlisted).
    assert not parse_target("http://127.0.0.1/a.jpg", ALLOWED).allowlisted


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.1:", ":80", "host:http", "host:70000", "[::1]"])
def test_allowlist_entries_must_be_host_and_port(entry):
    with pytest.raises(ImproperlyConfigured):
        parse_allowed_hosts([entry])


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "169.254.170.2",
        "168.63.129.16", "100.100.100.200", "100.64.0.1", "0.1.2.3", "255.255.255.255", "224.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "239.255.255.250", "240.0.0.1", "192.0.0.192", "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9",
        "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "ff0e::1", "2001:db8::1",
        "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::127.0.0.1", "64:ff9b::a00:1", "64:ff9b::808:808",
        "64:ff9b:1::1", "2002:7f00:1::1", "2002:808:808::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address):
    assert refusal_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450::1"])
def test_public_unicast_addresses_pass(address):
    assert refusal_reason(ipaddress.ip_address(address)) is None
