from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import oidc
from accounts.models import User
from accounts.services import theme_set, time_zone_set


class LoginView(auth_views.LoginView):
    """Django's login form, below a "Sign in with <provider>" button when single sign-on is set."""

    redirect_authenticated_user = True

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if oidc.configured():
            # The provider's button comes first, for the keyboard too.
            form.fields["username"].widget.attrs.pop("autofocus", None)
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_name"] = oidc.provider_name() if oidc.configured() else ""
        return context


class PasswordResetView(auth_views.PasswordResetView):
    """Django's "forgot password" form. The e-mail goes out only when the site has an
    e-mail server (`EMAIL_HOST`); without one the page says whom to ask instead. The
    answer is the same whether or not the address has an account: it reveals none."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mail_configured"] = bool(settings.EMAIL_HOST)
        return context

    def form_valid(self, form):
        if not settings.EMAIL_HOST:
            return self.form_invalid(form)
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    """Ends the portal's session; a session that came from the provider is then ended
    there too, when the provider has an end-session endpoint (RP-initiated logout)."""

    def post(self, request, *args, **kwargs):
        end_session = oidc.end_session_url(request)
        response = super().post(request, *args, **kwargs)
        if not end_session:
            return response
        # A page that moves on by itself rather than a redirect: the logout is a form, and
        # browsers hold a form's redirects to the page's CSP form-action ('self').
        return render(
            request,
            "registration/signing_out.html",
            {"end_session_url": end_session, "provider_name": oidc.provider_name()},
        )


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """The page django-axes shows to a locked-out (username, address) pair."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/lockout.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


@require_POST
@login_required
def time_zone(request: HttpRequest) -> HttpResponse:
    """Store the time zone the signed-in user's browser is in (static/portal/theme.js
    sends it when it differs from the one stored)."""
    if not time_zone_set(user=request.user, time_zone=request.POST.get("time_zone", "")[:64]):
        return HttpResponseBadRequest(
            "Send an IANA time zone name, such as Europe/Paris.", content_type="text/plain; charset=utf-8"
        )
    return JsonResponse({"time_zone": request.user.time_zone})


@require_POST
@login_required
def theme(request: HttpRequest) -> HttpResponse:
    """Store the signed-in user's theme: a plain form post (back to `next`) or a fetch (JSON)."""
    choice = request.POST.get("theme", "")
    if choice not in User.Theme.values:
        return HttpResponseBadRequest(
            "Choose Light, Dark or Same as my device.", content_type="text/plain; charset=utf-8"
        )
    theme_set(user=request.user, theme=choice)
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        return JsonResponse({"theme": choice})
    next_url = request.POST.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("gallery")
    return HttpResponseRedirect(next_url)
