"""The site's WSGI application, plus an `X-Worker-Pid` header naming the gunicorn worker that answered.

For the multi-worker tests and `bench/soak` only (they must tell the workers apart); production serves
`newsroom.wsgi:application`, which does not say which process answered.
"""

import os

from newsroom.wsgi import application as site


def application(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Worker-Pid", str(os.getpid()))], exc_info)

    return site(environ, start)
