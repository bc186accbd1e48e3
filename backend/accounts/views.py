"""The profile page: the user's personal API tokens, made (the key shown once) and revoked."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from backend.accounts.forms import TokenCreateForm
from backend.accounts.models import ApiToken
from backend.accounts.services import api_token_create, api_token_revoke
from backend.errors import ApplicationError, NotFound


def _page(request: HttpRequest, *, form: TokenCreateForm, new_key: str = "", status: int = 200) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "accounts/profile.html",
                  {"form": form, "tokens": tokens, "new_key": new_key}, status=status)


NEW_KEY = "profile_new_token_key"


@login_required
@never_cache
def profile(request: HttpRequest) -> HttpResponse:
    """GET: the page, with a key just made (once: it is taken out of the session as it is shown). POST: make a
    token and redirect here, so that reloading the page does not make another."""
    if request.method != "POST":
        return _page(request, form=TokenCreateForm(), new_key=request.session.pop(NEW_KEY, ""))
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    try:
        _, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
    except ApplicationError as exc:
        form.add_error("name", exc.message)
        return _page(request, form=form, status=400)
    request.session[NEW_KEY] = key
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = api_token_revoke(user=request.user, token_id=token_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, f"The token “{token.name}” is revoked; scripts using it are refused from now on.")
    return redirect("profile")
