"""The review queue, an answer beside its context, the player's stream, clips and holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from council.workspace import audit, streaming
from council.workspace.forms import DecisionForm, HoldForm
from council.workspace.models import LOOKS, Concern, Event, VideoAnswer
from council.workspace.removal import set_hold
from council.workspace.reports import event_label
from council.workspace.views.common import actor, allowed, page_of, workspace

STATE_FILTERS = dict(VideoAnswer.STATES)


@require_GET
@allowed("view_answers")
def answer_list(request: HttpRequest) -> HttpResponse:
    ws = workspace()
    state = request.GET.get("state", VideoAnswer.TO_REVIEW)
    look = request.GET.get("look", "")
    event = request.GET.get("event", "")
    videos = VideoAnswer.objects.select_related("session__kiosk_event__event").filter(
        purged_at__isnull=True)
    if state in STATE_FILTERS:
        videos = videos.filter(state=state)
    elif state != "all":
        state = VideoAnswer.TO_REVIEW
        videos = videos.filter(state=state)
    if look in dict(LOOKS):
        videos = videos.filter(session__look=look)
    if event.startswith("ev-"):
        videos = videos.filter(session__kiosk_event__event__uid=event)
    videos = videos.order_by("session__received_at", "session_id", "number")
    page = page_of(request, videos)
    rows = [
        {"video": video, "prompt": ws.labels.get(video.prompt_id, video.prompt_id),
         "event": event_label(video.session)}
        for video in page.object_list
    ]
    counts = {key: VideoAnswer.objects.filter(state=key, purged_at__isnull=True).count()
              for key in STATE_FILTERS}
    return render(request, "workspace/answers.html", {
        "rows": rows, "page": page, "state": state, "look": look, "event": event,
        "tabs": [(key, label, counts[key]) for key, label in VideoAnswer.STATES],
        "looks": LOOKS,
        "events": Event.objects.all(),
    })


def _moment(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


def _consent(ws: Any, session: Any) -> dict[str, Any]:
    wording, confirmation = ws.consent_wordings.get(session.consent_wording_digest,
                                                    (None, None))
    return {"given": session.consent_given, "wording": wording,
            "confirmation_line": confirmation, "adult_confirmed": session.consent_adult_confirmed,
            "given_at": _moment(session.consent_given_at),
            "digest": session.consent_wording_digest,
            "pack_id": session.pack_id}


@require_GET
@allowed("view_answers")
def answer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace()
    video = get_object_or_404(VideoAnswer.objects.select_related("session__kiosk_event__event"),
                              pk=pk)
    session = video.session
    priorities = [ws.labels.get(p.item_id, p.item_id) for p in session.priorities.all()]
    about = [(ws.labels.get(key, key), ws.labels.get(value, value))
             for key, value in session.about_you.items()]
    can_lead = request.user.has_perm("workspace.handle_concerns")
    locked = video.state == VideoAnswer.CONCERN and not can_lead
    return render(request, "workspace/answer.html", {
        "video": video, "session": session, "prompt": ws.labels.get(video.prompt_id,
                                                                     video.prompt_id),
        "event": event_label(session), "priorities": priorities, "about": about,
        "consent": _consent(ws, session),
        "form": DecisionForm(initial={"state": video.state, "note": video.note}),
        "hold_form": HoldForm(initial={"reason": video.hold_reason}),
        "concerns": video.concerns.all() if can_lead else [],
        "locked": locked,
        "others": session.videos.exclude(pk=video.pk),
    })


@require_POST
@allowed("review_answer")
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    video = get_object_or_404(VideoAnswer, pk=pk)
    if video.state == VideoAnswer.CONCERN and not request.user.has_perm(
            "workspace.handle_concerns"):
        return HttpResponse("Only the safeguarding lead can change an answer with a concern.",
                            status=403)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values()
                                          for e in errs))
        return HttpResponseRedirect(reverse("workspace:answer", args=[pk]), status=303)
    state = form.cleaned_data["state"]
    note = form.cleaned_data["note"].strip()
    who = actor(request)
    ws = workspace()
    with transaction.atomic():
        video.state, video.note = state, note
        video.decided_by, video.decided_at = who, ws.clock()
        video.save(update_fields=["state", "note", "decided_by", "decided_at"])
        if state == VideoAnswer.CONCERN:
            Concern.objects.create(video=video, note=note, raised_by=who)
    audit.record(who, "decide", target=f"video {video.pk}",
                 detail={"state": state, "bundle_id": video.session.bundle_id})
    messages.success(request, f"Answer marked “{STATE_FILTERS[state]}”.")
    following = (VideoAnswer.objects.filter(state=VideoAnswer.TO_REVIEW, purged_at__isnull=True)
                 .order_by("session__received_at", "session_id", "number").first())
    target = (reverse("workspace:answer", args=[following.pk]) if following
              else reverse("workspace:answers"))
    return HttpResponseRedirect(target, status=303)


@require_GET
@allowed("watch_video")
def video_stream(request: HttpRequest, pk: int) -> HttpResponseBase:
    video = get_object_or_404(VideoAnswer.objects.select_related("session"), pk=pk)
    if video.purged:
        return HttpResponse("This video was deleted when its retention period ended.",
                            status=410)
    range_header = request.headers.get("Range", "")
    if not range_header or range_header.startswith("bytes=0-"):
        audit.record(actor(request), "watch", target=f"video {video.pk}",
                     detail={"bundle_id": video.session.bundle_id})
    return streaming.stream(request, workspace(), video.blob_sha256, video.blob_size,
                            f"answer-{video.pk}.mp4")


@require_GET
@allowed("download_clip")
def clip(request: HttpRequest, pk: int) -> HttpResponseBase:
    video = get_object_or_404(VideoAnswer.objects.select_related("session"), pk=pk)
    if video.state != VideoAnswer.OK:
        return HttpResponse("Only answers marked “OK to use” can be downloaded.", status=403)
    if video.purged:
        return HttpResponse("This video was deleted when its retention period ended.",
                            status=410)
    audit.record(actor(request), "download", target=f"video {video.pk}",
                 detail={"bundle_id": video.session.bundle_id})
    return streaming.stream(request, workspace(), video.blob_sha256, video.blob_size,
                            f"answer-{video.pk}.mp4", attachment=True)


@require_POST
@allowed("manage_retention")
def hold(request: HttpRequest, pk: int) -> HttpResponse:
    video = get_object_or_404(VideoAnswer.objects.select_related("session"), pk=pk)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return HttpResponse("A reason of up to 1000 characters, please.", status=400)
    set_hold(video, form.cleaned_data["reason"], actor(request), workspace().clock())
    messages.success(request, "Legal hold placed." if video.on_hold else "Legal hold released.")
    return HttpResponseRedirect(reverse("workspace:answer", args=[pk]), status=303)
