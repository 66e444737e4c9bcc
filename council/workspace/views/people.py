"""Pages about people's answers as a whole: safeguarding, withdrawal, the dashboard, CSV."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from council.workspace import audit, reports
from council.workspace.forms import ConcernActionForm, WithdrawForm
from council.workspace.indexer import index_new
from council.workspace.models import LOOKS, Concern, Event, KioskEvent, Session, Withdrawal
from council.workspace.removal import WithdrawalError, withdraw
from council.workspace.views.common import actor, allowed, page_of, workspace


@require_GET
@allowed("handle_concerns")
def concerns(request: HttpRequest) -> HttpResponse:
    ws = workspace()
    show = request.GET.get("show", "open")
    found = Concern.objects.select_related("video__session").order_by("-raised_at")
    if show != "all":
        show = "open"
        found = found.filter(action="")
    page = page_of(request, found)
    rows = [{"concern": c, "prompt": ws.labels.get(c.video.prompt_id, c.video.prompt_id)}
            for c in page.object_list]
    return render(request, "workspace/concerns.html", {
        "rows": rows, "page": page, "show": show, "form": ConcernActionForm(),
        "open_count": Concern.objects.filter(action="").count(),
    })


@require_POST
@allowed("handle_concerns")
def concern_action(request: HttpRequest, pk: int) -> HttpResponse:
    concern = get_object_or_404(Concern.objects.select_related("video__session"), pk=pk)
    form = ConcernActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what was done (up to 2000 characters).")
        return HttpResponseRedirect(reverse("workspace:concerns"), status=303)
    concern.action = form.cleaned_data["action"].strip()
    concern.action_by = actor(request)
    concern.action_at = workspace().clock()
    concern.save(update_fields=["action", "action_by", "action_at"])
    audit.record(actor(request), "concern-action", target=f"concern {concern.pk}",
                 detail={"video": concern.video_id,
                         "bundle_id": concern.video.session.bundle_id})
    messages.success(request, "The action was recorded.")
    return HttpResponseRedirect(reverse("workspace:concerns"), status=303)


@require_http_methods(["GET", "POST"])
@allowed("withdraw")
def withdraw_page(request: HttpRequest) -> HttpResponse:
    form = WithdrawForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            ws = workspace()
            index_new(ws)  # an answer that arrived a minute ago must be found too
            try:
                record = withdraw(ws, form.cleaned_data["code"], actor(request),
                                  form.cleaned_data["channel"])
            except WithdrawalError as exc:
                form.add_error("code", str(exc))
                status = 400
            else:
                messages.success(
                    request, f"The answer with code {record.reference_code} was withdrawn: "
                    f"{len(record.blobs_deleted)} file(s) deleted from the store.")
                return HttpResponseRedirect(reverse("workspace:withdraw"), status=303)
        else:
            status = 400
    return render(request, "workspace/withdraw.html", {
        "form": form, "recent": page_of(request, Withdrawal.objects.all(), 20),
    }, status=status)


def _filter_choices() -> dict[str, object]:
    areas = (Session.objects.exclude(area="").values_list("area", flat=True)
             .distinct().order_by("area"))
    bands = (Session.objects.exclude(age_band="").values_list("age_band", flat=True)
             .distinct().order_by("age_band"))
    ws = workspace()
    kiosk_only = KioskEvent.objects.filter(event__isnull=True)
    return {
        "events": [(e.uid, e.name) for e in Event.objects.all()]
        + [(f"kiosk:{k.kiosk_event_id}", f"{k} (kiosk)") for k in kiosk_only],
        "areas": list(areas),
        "age_bands": [(b, ws.labels.get(b, b)) for b in bands],
        "looks": LOOKS,
    }


@require_GET
@allowed("view_dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    filters = reports.Filters.from_query(request.GET)
    data = reports.dashboard(workspace(), filters)
    return render(request, "workspace/dashboard.html", {
        "data": data, "filters": filters, "choices": _filter_choices(),
        "query": request.GET.urlencode(),
    })


@require_GET
@allowed("export_csv")
def export_csv(request: HttpRequest) -> HttpResponse:
    filters = reports.Filters.from_query(request.GET)
    text = reports.csv_text(workspace(), filters)
    audit.record(actor(request), "export", target="priorities.csv",
                 detail={"filters": filters.__dict__, "rows": text.count("\n") - 1})
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="priorities.csv"'
    response["Cache-Control"] = "no-store, private"
    return response
