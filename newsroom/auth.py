"""Authentication backends: django-axes' lock-out check in front of Django's own password check."""

from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out login before any password is hashed. Only logins over HTTP are counted and checked:
    authenticate() without a request (a shell, a script, the test client's login()) has no client address to
    count against, where django-axes itself would raise."""

    def authenticate(self, request=None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
