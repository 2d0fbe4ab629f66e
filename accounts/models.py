from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models


class User(AbstractUser):
    """The site's user, custom from the first migration so it can grow."""

    class Theme(models.TextChoices):
        SYSTEM = "system", "Same as my device"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    theme = models.CharField(max_length=6, choices=Theme.choices, default=Theme.SYSTEM)
    # The IANA zone of the person's browser ("Europe/Paris"), kept as they use the site;
    # "" until then. Scheduled e-mails "at 08:00 in each recipient's time zone" use it.
    time_zone = models.CharField(
        max_length=64, blank=True, default="", help_text="Their browser's, kept as they use the site."
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class ProviderGroupMapping(models.Model):
    """A group of the identity provider that gives a portal group (a role).

    At every sign-in through the provider, the portal groups named by these rows
    follow the provider's groups claim: added when the user is in the provider
    group, removed when not. Portal groups that no row names are never touched,
    so a group an admin gives by hand stays.
    """

    provider_group = models.CharField(
        max_length=255,
        unique=True,
        help_text=(
            "The group exactly as the identity provider sends it in its groups claim "
            "(a name such as “sales-team”, or an ID such as Microsoft Entra's "
            "object IDs). Case matters."
        ),
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        related_name="provider_mappings",
        verbose_name="portal group",
        help_text=(
            "Members of the provider group get this portal group at their next sign-in, and "
            "lose it at their next sign-in once the provider no longer lists them."
        ),
    )

    class Meta:
        ordering = ["provider_group"]
        verbose_name = "group from the identity provider"
        verbose_name_plural = "groups from the identity provider"

    def __str__(self) -> str:
        return f"{self.provider_group} → {self.group.name}"


class ProviderIdentity(models.Model):
    """Who a user is at the identity provider: its issuer and the subject it gives
    the user, which, unlike an e-mail address, never changes hands."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "identity at the provider"
        verbose_name_plural = "identities at the provider"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_provider_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
