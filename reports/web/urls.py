from django.urls import path

from . import account, bulk, downloads, review, views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("template/", views.blank_template, name="blank_template"),
    path("start/", views.start, name="start"),
    # The entity, its members, invitations
    path("entities/new/", views.entity_create, name="entity_create"),
    path("entities/<int:entity_id>/", views.entity_edit, name="entity_edit"),
    path("entities/<int:entity_id>/members/", views.entity_members, name="entity_members"),
    path("entities/<int:entity_id>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "entities/<int:entity_id>/invitations/<int:invitation_id>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("entities/<int:entity_id>/switch/", views.entity_switch, name="entity_switch"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    # The report workspace
    path("reports/<int:report_id>/", views.workspace, name="workspace"),
    path("reports/<int:report_id>/sections/<str:key>/", views.section, name="section"),
    path(
        "reports/<int:report_id>/sections/<str:key>/comment/", review.section_comment, name="section_comment"
    ),
    path(
        "reports/<int:report_id>/sections/<str:key>/not-applicable/",
        views.line_not_applicable,
        name="line_not_applicable",
    ),
    path(
        "reports/<int:report_id>/lines/not-applicable/",
        bulk.lines_not_applicable,
        name="lines_not_applicable",
    ),
    path("reports/<int:report_id>/preview/", views.preview, name="preview"),
    path("reports/<int:report_id>/submit/", views.submit, name="submit"),
    path("reports/<int:report_id>/submitted/", views.submitted, name="submitted"),
    path("reports/<int:report_id>/recall/", views.recall, name="recall"),
    path("reports/<int:report_id>/language/", views.report_language, name="report_language"),
    path(
        "reports/<int:report_id>/start-from-previous/",
        views.start_from_previous,
        name="start_from_previous",
    ),
    path("reports/<int:report_id>/draft.pdf", downloads.draft_pdf, name="draft_pdf"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/pdf/", downloads.submission_pdf, name="submission_pdf"),
    # The person's own data (beside allauth's account pages under /accounts/)
    path("accounts/data/", account.data, name="account_data"),
    path("accounts/data/download/", account.data_download, name="account_data_download"),
    path("accounts/delete/", account.delete, name="account_delete"),
]
