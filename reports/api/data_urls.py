"""/data/: the bulk downloads, one ZIP per reporting cycle."""

from django.urls import path

from . import data

app_name = "opendata"

urlpatterns = [
    path("", data.data_page, name="data"),
    path("<slug:slug>/<str:filename>", data.data_download, name="download"),
]
