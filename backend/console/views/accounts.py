"""Staff accounts, for managers: the accounts of the clinics they manage with their roles
per clinic, a new account (its owner is emailed a link to choose a password), its roles
and email, deactivation, and sending the link again.

Every write calls one service of ``scheduling.accounts``, which decides who may do what;
the forms offer only the clinics the user manages, so a hand-made request naming another
clinic changes nothing there.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from backend.common.errors import DomainError, NotFound
from backend.common.roles import MANAGER_ONLY, Role
from backend.console.access import action_required
from backend.console.errors import domain_error_show
from backend.console.site import page
from backend.scheduling.accounts import rules
from backend.scheduling.accounts.links import invitation_base_url
from backend.scheduling.accounts.services import (
    EVERY_CLINIC,
    AccountRefusals,
    MembershipGrant,
    account_create,
    account_deactivate,
    account_get,
    account_invite_send,
    account_list,
    account_refusals,
    account_update,
    authority_of,
    membership_groups,
)
from backend.scheduling.resources.models import Clinic

EVERYWHERE_FIELD = "roles_all"
SHOWN = 500


def _roles_field(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=Role.CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class RolesForm(forms.Form):
    """One row of role checkboxes per clinic the user manages (and "Every clinic" for a
    superuser or a group-wide manager)."""

    def __init__(self, *args, clinics: list[Clinic], everywhere: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinics = clinics
        self.everywhere = everywhere
        if everywhere:
            self.fields[EVERYWHERE_FIELD] = _roles_field(EVERY_CLINIC)
        for clinic in clinics:
            self.fields[f"roles_{clinic.id}"] = _roles_field(clinic.name)

    def role_fields(self):
        return [self[name] for name in self.fields if name.startswith("roles_")]

    def grants(self) -> list[MembershipGrant]:
        data = self.cleaned_data
        grants = [
            MembershipGrant(clinic=clinic, roles=frozenset(data[f"roles_{clinic.id}"]))
            for clinic in self.clinics
        ]
        if self.everywhere:
            grants.insert(0, MembershipGrant(clinic=None, roles=frozenset(data[EVERYWHERE_FIELD])))
        return grants


class AccountCreateForm(RolesForm):
    username = forms.CharField(max_length=150, help_text="What they type to log in.")
    email = forms.EmailField(help_text="The link to choose a password is sent here.")

    field_order = ["username", "email"]


class AccountEditForm(RolesForm):
    email = forms.EmailField(
        help_text="Links sent before stop working; send the link again to reach a new address."
    )

    field_order = ["email"]


def _managed_clinics(request: HttpRequest) -> list[Clinic]:
    return list(Clinic.objects.for_user(request.user, MANAGER_ONLY).order_by("name", "id"))


def _form_kwargs(request: HttpRequest) -> dict:
    return {
        "clinics": _managed_clinics(request),
        "everywhere": authority_of(request.user).manages_everything,
    }


def _account_fetch(request: HttpRequest, pk: int):
    """The account, if it works in a clinic the user manages (else 404)."""
    try:
        return account_get(actor=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from None


def _rows(request: HttpRequest, accounts) -> list[dict]:
    authority = authority_of(request.user)
    return [
        {"account": a, "memberships": membership_groups(a.visible_memberships, authority)}
        for a in accounts
    ]


@action_required("accounts")
def account_list_page(request: HttpRequest) -> HttpResponse:
    accounts = list(account_list(actor=request.user)[: SHOWN + 1])
    context = {
        "nav": "accounts",
        "rows": _rows(request, accounts[:SHOWN]),
        "more": len(accounts) > SHOWN,
    }
    return page(request, "console/accounts.html", context)


@action_required("accounts")
def account_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = AccountCreateForm(request.POST, **_form_kwargs(request))
        if form.is_valid():
            try:
                created = account_create(
                    actor=request.user,
                    username=form.cleaned_data["username"],
                    email=form.cleaned_data["email"],
                    memberships=form.grants(),
                    base_url=invitation_base_url(request),
                )
            except DomainError as exc:
                domain_error_show(exc, form)
                status = exc.status_code
            else:
                account = created.account
                if created.invitation_sent:
                    messages.success(
                        request,
                        f"Account {account.username} created. A link to choose a password "
                        f"was emailed to {account.email}.",
                    )
                else:
                    messages.error(
                        request,
                        f"Account {account.username} created, but the email could not be "
                        "sent. Send the link again below.",
                    )
                return redirect("console:account", pk=account.pk)
        else:
            status = 400
    else:
        form = AccountCreateForm(**_form_kwargs(request))
    context = {"nav": "accounts", "form": form}
    return page(request, "console/accounts_new.html", context, status=status)


def _edit_initial(account, authority: rules.Authority) -> dict:
    initial: dict = {"email": account.email}
    for group in membership_groups(account.visible_memberships, authority):
        if group["editable"]:
            key = EVERYWHERE_FIELD if group["clinic"] is None else f"roles_{group['clinic']}"
            initial[key] = group["roles"]
    return initial


def _edit_form(request: HttpRequest, account, refusals: AccountRefusals, data=None):
    """The roles of the clinics the user manages, and the email if they may change it."""
    initial = _edit_initial(account, authority_of(request.user))
    form = AccountEditForm(data, initial=initial, **_form_kwargs(request))
    if refusals.change_email is not None:
        form.fields["email"].disabled = True
        form.fields["email"].help_text = refusals.change_email.message
    return form


def _detail_context(
    request: HttpRequest, account, refusals: AccountRefusals, form: AccountEditForm | None = None
) -> dict:
    memberships = membership_groups(account.visible_memberships, authority_of(request.user))
    refusal = refusals.deactivate
    return {
        "nav": "accounts",
        "account": account,
        "form": form or _edit_form(request, account, refusals),
        "other_memberships": [m for m in memberships if not m["editable"]],
        "can_deactivate": account.is_active and refusal is None,
        "deactivate_refusal": refusal.message if refusal and account.is_active else "",
    }


@action_required("accounts")
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_fetch(request, pk)
    refusals = account_refusals(actor=request.user, account=account)
    status = 200
    if request.method == "POST":
        form = _edit_form(request, account, refusals, request.POST)
        if form.is_valid():
            try:
                account_update(
                    actor=request.user,
                    account=account,
                    email=form.cleaned_data["email"],
                    memberships=form.grants(),
                )
            except DomainError as exc:
                domain_error_show(exc, form)
                status = exc.status_code
            else:
                messages.success(request, f"Account {account.username} saved.")
                return redirect("console:account", pk=account.pk)
        else:
            status = 400
        context = _detail_context(request, account, refusals, form)
    else:
        context = _detail_context(request, account, refusals)
    return page(request, "console/accounts_detail.html", context, status=status)


def _refused(request: HttpRequest, account, exc: DomainError) -> HttpResponse:
    """The account page again, saying why the action was not taken."""
    refusals = account_refusals(actor=request.user, account=account)
    context = {**_detail_context(request, account, refusals), "refusal": exc.detail}
    return page(request, "console/accounts_detail.html", context, status=exc.status_code)


@require_POST
@action_required("accounts")
def account_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_fetch(request, pk)
    try:
        account_deactivate(actor=request.user, account=account)
    except DomainError as exc:
        return _refused(request, account, exc)
    messages.success(request, f"Account {account.username} is deactivated.")
    return redirect("console:account", pk=account.pk)


@require_POST
@action_required("accounts")
def account_invite_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_fetch(request, pk)
    try:
        account_invite_send(
            actor=request.user, account=account, base_url=invitation_base_url(request)
        )
    except DomainError as exc:
        return _refused(request, account, exc)
    messages.success(request, f"A new link to choose a password was emailed to {account.email}.")
    return redirect("console:account", pk=account.pk)
