from django.urls import path

from dashboards import report_views, schedule_views, views

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("dashboards/<slug:slug>/", views.dashboard_page, name="dashboard"),
    path("dashboards/<slug:slug>/export.csv", views.export_view, name="export_csv"),
    path("dashboards/<slug:slug>/export-raw.csv", views.export_view, {"kind": "raw"}, name="export_raw"),
    path("dashboards/<slug:slug>/export.xlsx", views.export_view, {"kind": "xlsx"}, name="export_xlsx"),
    path("dashboards/<slug:slug>/export.pdf", views.export_view, {"kind": "pdf"}, name="export_pdf"),
    path("dashboards/<slug:slug>/export.png", views.export_view, {"kind": "png"}, name="export_png"),
    path("dashboards/<slug:slug>/request-access/", views.request_access, name="request_access"),
    path("dashboards/<slug:slug>/favourite/", views.favourite, name="favourite"),
    path("dashboards/<slug:slug>/last-filters/", views.last_filters, name="last_filters"),
    path("dashboards/<slug:slug>/reports/", report_views.report_create, name="report_create"),
    path("dashboards/<slug:slug>/default-report/", report_views.report_default_view, name="report_default"),
    # A page of a Dash Pages app (`/dashboards/<slug>/reports/q1`): after the dashboard's own
    # routes above, which take precedence over a page of the same name.
    path("dashboards/<slug:slug>/<path:page>", views.dashboard_page, name="dashboard_page"),
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/trash/", report_views.report_trash, name="report_trash"),
    path("reports/<int:pk>/", report_views.report_open, name="report"),
    path("reports/<int:pk>/export.csv", report_views.report_export, name="report_export"),
    path(
        "reports/<int:pk>/export-raw.csv",
        report_views.report_export,
        {"kind": "raw"},
        name="report_export_raw",
    ),
    path(
        "reports/<int:pk>/export.xlsx",
        report_views.report_export,
        {"kind": "xlsx"},
        name="report_export_xlsx",
    ),
    path(
        "reports/<int:pk>/export.pdf", report_views.report_export, {"kind": "pdf"}, name="report_export_pdf"
    ),
    path(
        "reports/<int:pk>/export.png", report_views.report_export, {"kind": "png"}, name="report_export_png"
    ),
    path("reports/<int:pk>/rename/", report_views.report_rename_view, name="report_rename"),
    path("reports/<int:pk>/delete/", report_views.report_delete_view, name="report_delete"),
    path("reports/<int:pk>/schedules/", schedule_views.report_schedules, name="report_schedules"),
    path(
        "schedules/<int:pk>/<slug:action>/",
        schedule_views.schedule_action,
        name="schedule_action",
    ),
    path("reports/<int:pk>/alerts/", schedule_views.alert_create, name="alert_create"),
    path("alerts/<int:pk>/<slug:action>/", schedule_views.alert_action, name="alert_action"),
    path("unsubscribe/<str:token>/", schedule_views.unsubscribe, name="unsubscribe"),
    path("reports/<int:pk>/restore/", report_views.report_restore_view, name="report_restore"),
    path("reports/<int:pk>/share/", report_views.report_share_view, name="report_share"),
]
