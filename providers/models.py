from django.db import models


class Provider(models.Model):
    """A news outlet, keyed by its normalised domain (lower case, no `www.`)."""

    domain = models.CharField(max_length=253, unique=True)
    name = models.CharField(max_length=200)
    other_names = models.JSONField(default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})"

    def get_absolute_url(self) -> str:
        return f"/providers/{self.domain}/"
