from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from .health import healthz
from .security import RateLimitedAdminLoginForm

admin.site.site_header = _("WSIS+20 reporting — secretariat")
admin.site.site_title = _("WSIS+20 secretariat")
admin.site.index_title = _("Submissions and reference data")
admin.site.login_form = RateLimitedAdminLoginForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("reports.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
