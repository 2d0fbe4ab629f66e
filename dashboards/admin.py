from django.contrib import admin
from django_plotly_dash.models import DashApp, StatelessApp

# The portal's dashboards are defined in code; django-plotly-dash's own
# database-backed apps are not used and would only confuse admins.
admin.site.unregister(DashApp)
admin.site.unregister(StatelessApp)
