"""Plain HTTP clients for a stack on 127.0.0.1: a reader and an editor who works in the admin.

The stack runs production settings behind an imaginary TLS proxy (DJANGO_BEHIND_TLS_PROXY=1), so every
request says `X-Forwarded-Proto: https`, as the proxy would; cookies are kept by hand because they are
`Secure`. Each request opens its own connection: gunicorn's sync workers close them anyway.
"""

import http.client
import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    started: float  # time.monotonic() when the request was sent
    finished: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def seconds(self) -> float:
        return self.finished - self.started


class Client:
    def __init__(self, port: int, *, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None) -> Response:
        sent = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
            received = {name.lower(): value for name, value in response.getheaders()}
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        finally:
            connection.close()
        return Response(response.status, received, content, started, time.monotonic())

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)


class Editor(Client):
    """Logs in to /admin/ and uses the article change list's bulk actions, CSRF token and all."""

    CHANGELIST = "/admin/articles/article/"

    def login(self, username: str, password: str) -> None:
        token = self._csrf_token("/admin/login/")
        response = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            form={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"},
            headers=self._same_origin("/admin/login/"),
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"admin login failed: {response.status} {response.text[:300]}")

    def set_published(self, article_id: int, published: bool) -> Response:
        """The 'Publish selected articles now' / 'Unpublish selected articles' action; returns once committed."""
        token = self._csrf_token(self.CHANGELIST)
        form = {"action": "publish" if published else "unpublish", "_selected_action": [article_id],
                "index": 0, "csrfmiddlewaretoken": token}  # fmt: skip
        response = self.request("POST", self.CHANGELIST, form=form, headers=self._same_origin(self.CHANGELIST))
        if response.status != 302:
            raise RuntimeError(f"admin action failed: {response.status} {response.text[:300]}")
        return response

    def _csrf_token(self, path: str) -> str:
        response = self.get(path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.body)
        if response.status != 200 or not match:
            raise RuntimeError(f"no CSRF token on {path}: {response.status}")
        return match.group(1).decode()

    def _same_origin(self, path: str) -> dict[str, str]:
        return {"Origin": self.origin, "Referer": self.origin + path}
