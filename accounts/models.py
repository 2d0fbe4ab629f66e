from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The site's user, custom from the first migration so it can grow."""

    class Theme(models.TextChoices):
        SYSTEM = "system", "Same as my device"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    theme = models.CharField(max_length=6, choices=Theme.choices, default=Theme.SYSTEM)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
