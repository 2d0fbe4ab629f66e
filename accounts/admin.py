from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User

admin.site.register(User, UserAdmin)
admin.site.site_header = "Dash Engine administration"
admin.site.site_title = "Dash Engine admin"
