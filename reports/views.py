from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import annex, selectors


def home(request: HttpRequest) -> HttpResponse:
    """Landing page: what the report is, who files it, the open cycle's deadline."""
    return render(
        request,
        "reports/home.html",
        {"cycle": selectors.cycle_current(), "sections": annex.SECTIONS},
    )
