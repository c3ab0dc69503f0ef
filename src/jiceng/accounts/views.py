from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.accounts import actions, queries
from jiceng.accounts.forms import LoginForm, PasswordForm, TokenForm, UserForm
from jiceng.accounts.models import User
from jiceng.accounts.permissions import has_role, require_role
from jiceng.accounts.roles import Role
from jiceng.core.errors import DomainError
from jiceng.org import queries as org_queries
from jiceng.web.forms import run_action


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.attempt_login(form.cleaned_data["username"], form.cleaned_data["password"])
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": next_url,
            "max_failures": settings.LOGIN_MAX_FAILURES,
            "lock_minutes": settings.LOGIN_LOCK_MINUTES,
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        actions.record_logout(request.user)
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    password_form = PasswordForm(prefix="pw")
    token_form = TokenForm(prefix="tk")
    new_token = None
    if request.method == "POST" and "pw-password" in request.POST:
        password_form = PasswordForm(request.POST, prefix="pw")
        if password_form.is_valid() and run_action(
            password_form,
            actions.set_password,  # type: ignore[arg-type]
            user,
            user,
            password_form.cleaned_data["password"],
            old_password=password_form.cleaned_data["old_password"],
        ):
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:profile")
    elif request.method == "POST" and "tk-name" in request.POST:
        token_form = TokenForm(request.POST, prefix="tk")
        if token_form.is_valid():
            _token, new_token = actions.issue_token(user, user, token_form.cleaned_data["name"])
    return render(
        request,
        "accounts/profile.html",
        {
            "password_form": password_form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": queries.tokens(user),
            "roles": queries.role_codes(user) if user.pk else [],
        },
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = queries.tokens(request.user).filter(pk=token_id).first()  # type: ignore[arg-type]
    if token is not None:
        actions.revoke_token(request.user, token)
        messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:50]
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    page = Paginator(
        queries.users(request.user, q=q, role=role, unit=request.GET.get("unit", "")), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "q": q,
            "role": role,
            "roles": Role.choices,
            "can_edit": has_role(request.user, Role.ADMIN),
        },
    )


@login_required
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    target = queries.user(request.user, username)
    revealed = None
    if request.method == "POST" and "reveal" in request.POST:
        revealed = actions.reveal_personal_data(request.user, target, purpose="user page")
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "roles": queries.role_codes(target),
            "revealed": revealed,
            "can_edit": has_role(request.user, Role.ADMIN),
        },
    )


def _unit_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(u.code, f"{u.name}（{u.region.name}）") for u in org_queries.units(request.user)]


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMIN)
    form = UserForm(request.POST or None, units=_unit_choices(request))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        user = run_action(form, actions.create_user, request.user, **data)
        if user is not None:
            messages.success(request, _("The user was created."))
            return redirect("accounts:user_detail", username=user.username)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@login_required
def user_edit(request: HttpRequest, username: str) -> HttpResponse:
    require_role(request.user, Role.ADMIN)
    target = queries.user(request.user, username)
    initial = {
        "username": target.username,
        "full_name": target.full_name,
        "email": target.email,
        "unit_code": target.unit.code if target.unit_id else "",  # type: ignore[union-attr]
        "roles": queries.role_codes(target),
        "is_active": target.is_active,
        "version": target.version,
        "id_number": target.id_number_masked,
        "phone": target.phone_masked,
    }
    form = UserForm(request.POST or None, initial=initial, units=_unit_choices(request), editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_action(
            form,
            actions.update_user,
            request.user,
            target,
            expected_version=data["version"],
            full_name=data["full_name"],
            email=data["email"],
            unit_code=data["unit_code"],
            roles=data["roles"],
            is_active=data["is_active"],
            **_changed_personal(data, target),
        )
        if done is not None:
            messages.success(request, _("The user was saved."))
            return redirect("accounts:user_detail", username=target.username)
    return render(request, "accounts/user_form.html", {"form": form, "target": target, "creating": False})


def _changed_personal(data: dict[str, object], target: User) -> dict[str, str]:
    """The edit form shows masked values; only a value the admin actually typed is sent on."""
    masked = {"id_number": target.id_number_masked, "phone": target.phone_masked}
    return {k: str(data[k]) for k in masked if data.get(k) is not None and data[k] != masked[k]}


@login_required
@require_POST
def user_unlock(request: HttpRequest, username: str) -> HttpResponse:
    actions.unlock(request.user, queries.user(request.user, username))  # type: ignore[arg-type]
    messages.success(request, _("The account was unlocked."))
    return redirect("accounts:user_detail", username=username)
