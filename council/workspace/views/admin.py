"""The admin's pages: events, retention, staff, kiosks, bundles set aside, the audit trail."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from council import admin as council_admin
from council.admin import CouncilError
from council.workspace import audit, events
from council.workspace.accounts import AccountError, add_user, change_user
from council.workspace.forms import EventForm, MergeForm, PurgeForm, StaffChangeForm, StaffForm
from council.workspace.indexer import index_new
from council.workspace.models import (
    AuditEntry,
    Event,
    KioskEvent,
    PurgeRun,
    SetAside,
    VideoAnswer,
)
from council.workspace.removal import purge
from council.workspace.roles import ROLE_LABELS, TOTP_ROLES, role_of
from council.workspace.views.common import actor, allowed, page_of, workspace


@require_http_methods(["GET", "POST"])
@allowed("manage_events")
def events_page(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = events.add(workspace(), actor(request), **form.cleaned_data)
        messages.success(request, f"Event “{event.name}” added; kiosks get it at "
                         "their next sync.")
        return HttpResponseRedirect(reverse("workspace:events"), status=303)
    counts = {e.pk: 0 for e in Event.objects.all()}
    for kiosk in KioskEvent.objects.filter(event__isnull=False):
        if kiosk.event_id is not None:
            counts[kiosk.event_id] = counts.get(kiosk.event_id, 0) + kiosk.sessions.count()
    return render(request, "workspace/events.html", {
        "form": form, "events": [(e, counts.get(e.pk, 0)) for e in Event.objects.all()],
        "unmerged": [(k, k.sessions.count()) for k in KioskEvent.objects.filter(
            event__isnull=True)],
        "merge_targets": Event.objects.all(),
    }, status=400 if request.method == "POST" else 200)


@require_POST
@allowed("manage_events")
def merge_event(request: HttpRequest) -> HttpResponse:
    form = MergeForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose a kiosk event and a council event.", status=400)
    kiosk = get_object_or_404(KioskEvent, pk=form.cleaned_data["kiosk_event"])
    event = get_object_or_404(Event, pk=form.cleaned_data["event"])
    events.merge(kiosk, event, actor(request))
    messages.success(request, f"“{kiosk}” now counts as “{event.name}”.")
    return HttpResponseRedirect(reverse("workspace:events"), status=303)


@require_http_methods(["GET", "POST"])
@allowed("manage_retention")
def retention(request: HttpRequest) -> HttpResponse:
    ws = workspace()
    if request.method == "POST":
        form = PurgeForm(request.POST)
        if not form.is_valid():
            return HttpResponse("Bad purge request.", status=400)
        run = purge(ws, actor(request), dry_run=form.cleaned_data["dry_run"])
        return HttpResponseRedirect(reverse("workspace:purge", args=[run.pk]), status=303)
    cutoff = ws.clock() - timedelta(days=ws.retention_days)
    live = VideoAnswer.objects.filter(purged_at__isnull=True)
    return render(request, "workspace/retention.html", {
        "days": ws.retention_days, "now": ws.clock(),
        "due": live.filter(session__received_at__lte=cutoff).count(),
        "held": live.exclude(hold_reason="").select_related("session"),
        "runs": page_of(request, PurgeRun.objects.all(), 20),
        "kept": live.count(),
    })


@require_GET
@allowed("manage_retention")
def purge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PurgeRun, pk=pk)
    return render(request, "workspace/purge.html", {"run": run})


@require_http_methods(["GET", "POST"])
@allowed("manage_staff")
def staff(request: HttpRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    new_password = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _user, new_password = add_user(form.cleaned_data["username"],
                                              form.cleaned_data["role"], actor(request))
            except AccountError as exc:
                form.add_error("username", str(exc))
                status = 400
            else:
                form = StaffForm()
        else:
            status = 400
    people = [
        {"user": u, "role": ROLE_LABELS.get(role_of(u) or "", "none"),
         "role_id": role_of(u) or "", "needs_2fa": role_of(u) in TOTP_ROLES,
         "has_2fa": TOTPDevice.objects.filter(user=u, confirmed=True).exists()}
        for u in User.objects.order_by("username").prefetch_related("groups")
    ]
    return render(request, "workspace/staff.html", {
        "form": form, "people": people, "new_password": new_password,
        "roles": list(ROLE_LABELS.items()),
    }, status=status)


@require_POST
@allowed("manage_staff")
def staff_change(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    form = StaffChangeForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Bad change request.", status=400)
    if person.pk == request.user.pk and not form.cleaned_data["active"]:
        messages.error(request, "You cannot disable your own account.")
        return HttpResponseRedirect(reverse("workspace:staff"), status=303)
    password = change_user(person, actor(request), role=form.cleaned_data["role"] or None,
                           active=form.cleaned_data["active"],
                           reset_two_factor=form.cleaned_data["reset_two_factor"],
                           new_password=form.cleaned_data["new_password"])
    note = f" New password (shown once): {password}" if password else ""
    messages.success(request, f"Account {person.username} changed.{note}")
    return HttpResponseRedirect(reverse("workspace:staff"), status=303)


@require_http_methods(["GET", "POST"])
@allowed("manage_devices")
def devices(request: HttpRequest) -> HttpResponse:
    ws = workspace()
    if request.method == "POST":
        device_id = request.POST.get("device_id", "")
        try:
            council_admin.revoke(ws.storage, device_id)
        except CouncilError as exc:
            messages.error(request, str(exc))
        else:
            audit.record(actor(request), "device-revoke", target=device_id)
            messages.success(request, f"Kiosk {device_id} can no longer send anything.")
        return HttpResponseRedirect(reverse("workspace:devices"), status=303)
    return render(request, "workspace/devices.html",
                  {"devices": ws.storage.catalogue.list_devices()})


@require_http_methods(["GET", "POST"])
@allowed("view_set_aside")
def set_aside(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        report = index_new(workspace(), retry_set_aside=True)
        audit.record(actor(request), "set-aside-retry",
                     detail={"indexed": len(report.indexed),
                             "still_set_aside": len(report.set_aside)})
        messages.success(request, f"{len(report.indexed)} bundle(s) indexed, "
                         f"{len(report.set_aside)} still set aside.")
        return HttpResponseRedirect(reverse("workspace:set-aside"), status=303)
    return render(request, "workspace/set_aside.html",
                  {"page": page_of(request, SetAside.objects.all())})


@require_GET
@allowed("view_audit")
def audit_page(request: HttpRequest) -> HttpResponse:
    chain = audit.verify() if request.GET.get("verify") == "1" else None
    return render(request, "workspace/audit.html", {
        "page": page_of(request, AuditEntry.objects.all(), 100), "chain": chain,
    })
