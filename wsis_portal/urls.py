from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.decorators.http import require_GET

from .health import healthz


@require_GET
def favicon(request):
    """Browsers, feed readers and bookmarks ask for /favicon.ico on their own: the icon's file."""
    return redirect(static_url("img/favicon.svg"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Open data: the read-only API and the bulk downloads (reports/api/).
    path("api/v1/", include("reports.api.urls")),
    path("data/", include("reports.api.data_urls")),
    path("", include("reports.public.urls")),  # /published/, /action-lines/, /sitemap.xml: anyone may read
    path("", include("reports.web.urls")),
]

# allauth's limits (login, sign-up, password reset) answer with the portal's 429 page.
handler429 = "wsis_portal.limits.handler429"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
