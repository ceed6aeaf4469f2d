from django.db import models


class ProviderQuerySet(models.QuerySet):
    def merged_into(self, domains) -> dict[str, int]:
        """Domain -> id of the provider it was merged into, for those of `domains` that were."""
        wanted = set(domains)
        return {
            domain: pk
            for pk, merged in self.exclude(merged_domains=[]).values_list("id", "merged_domains")
            for domain in merged
            if domain in wanted
        }


class Provider(models.Model):
    """A news outlet, keyed by its normalised domain (lower case, no `www.`)."""

    domain = models.CharField(max_length=253, unique=True)
    name = models.CharField(max_length=200)
    other_names = models.JSONField(default=list, blank=True)
    merged_domains = models.JSONField(
        default=list, blank=True, editable=False, help_text="Domains merged into this one: imports file them here."
    )
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})"

    def get_absolute_url(self) -> str:
        return f"/providers/{self.domain}/"
