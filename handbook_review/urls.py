import re

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy
from django.views.i18n import JavaScriptCatalog

from chapters import views as chapter_views
from chapters.models import IMAGE_FILENAME
from comments import report_views
from comments import views as comment_views
from handbook_review.ops.health import HealthView
from handbook_review.people import views as people_views
from handbook_review.people.forms import LoginForm
from handbook_review.people.throttling import ThrottledPasswordResetView

admin.site.site_header = gettext_lazy("Handbook Review administration")
admin.site.site_title = gettext_lazy("Handbook Review")

urlpatterns = [
    path("", report_views.home, name="home"),
    # For load balancers: no login, up/down only (handbook_review/ops/health.py).
    path("healthz", login_not_required(HealthView.as_view()), name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", people_views.logout, name="logout"),
    path("language/", people_views.set_language, name="set_language"),
    # The JavaScript strings in the reader's language (static/js/*.js call gettext()).
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(domain="djangojs"),
        name="javascript-catalog",
    ),
    path("accounts/security/", people_views.security, name="twofactor_security"),
    path("accounts/security/enrol/", people_views.enrol, name="twofactor_enrol"),
    path("accounts/security/verify/", people_views.verify, name="twofactor_verify"),
    path("accounts/security/codes/", people_views.recovery_codes, name="twofactor_codes"),
    path(
        "accounts/security/codes/new/",
        people_views.new_recovery_codes,
        name="twofactor_new_codes",
    ),
    path("accounts/security/disable/", people_views.disable, name="twofactor_disable"),
    path(
        "accounts/security/log-out-everywhere/",
        people_views.log_out_everywhere,
        name="log_out_everywhere",
    ),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/reset/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        people_views.ChoosePasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("notifications/", include("handbook_review.notifications.urls")),
    path("admin/", admin.site.urls),
    # django-markdownx's endpoints, replaced by views that check the user's rights.
    path(
        settings.MARKDOWNX_URLS_PATH.strip("/") + "/",
        chapter_views.markdown_preview,
        name="markdownx_markdownify",
    ),
    # Image uploads are per handbook (chapters.urls); markdownx's global upload path is not
    # routed. Images are served by name only: the strict pattern, then the row, then the policy.
    re_path(
        rf"^{re.escape(settings.MEDIA_URL.strip('/'))}/images/(?P<filename>{IMAGE_FILENAME.pattern})\Z",
        chapter_views.media,
        name="media",
    ),
    # The reading pages are where reading and reviewing meet: wired here, where both apps are known.
    path("h/<slug:slug>/", comment_views.handbook, name="handbook"),
    path("h/<slug:slug>/c/<int:pk>/", comment_views.chapter, name="chapter"),
    path(
        "h/<slug:slug>/c/<int:pk>/history/<int:number>/",
        comment_views.version,
        name="version",
    ),
    path("", include("chapters.urls")),
    path("", include("comments.urls")),
]
