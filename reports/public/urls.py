"""Public addresses: ``/published/`` and ``/action-lines/`` (included at the root by wsis_portal/urls.py)."""

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("published/", views.report_list, name="reports"),
    path("published/<int:report_id>/", views.report_detail, name="report"),
    path("published/<int:report_id>/pdf", views.report_pdf, name="report_pdf"),
    path("published/<int:report_id>/versions/<int:number>/", views.report_version, name="version"),
    path("action-lines/", views.action_line_list, name="action_lines"),
    path("action-lines/<str:code>/", views.action_line_detail, name="action_line"),
    path("action-lines/<str:code>/pdf/<slug:cycle>", views.action_line_pdf, name="action_line_pdf"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
]
