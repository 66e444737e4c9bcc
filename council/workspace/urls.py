"""The workspace's routes. Ids are integers (anything else is a 404 before any view runs)."""

from __future__ import annotations

from django.urls import path

from council.workspace.views import admin, answers, auth, people

app_name = "workspace"

urlpatterns = [
    path("", auth.home, name="home"),
    path("sign-in", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out", auth.sign_out, name="sign-out"),
    path("two-factor", auth.two_factor, name="two-factor"),
    path("answers/", answers.answer_list, name="answers"),
    path("answers/<int:pk>/", answers.answer_detail, name="answer"),
    path("answers/<int:pk>/video", answers.video_stream, name="video"),
    path("answers/<int:pk>/decide", answers.decide, name="decide"),
    path("answers/<int:pk>/clip", answers.clip, name="clip"),
    path("answers/<int:pk>/hold", answers.hold, name="hold"),
    path("safeguarding/", people.concerns, name="concerns"),
    path("safeguarding/<int:pk>/action", people.concern_action, name="concern-action"),
    path("withdraw/", people.withdraw_page, name="withdraw"),
    path("dashboard/", people.dashboard, name="dashboard"),
    path("dashboard/priorities.csv", people.export_csv, name="export"),
    path("events/", admin.events_page, name="events"),
    path("events/merge", admin.merge_event, name="merge-event"),
    path("retention/", admin.retention, name="retention"),
    path("retention/<int:pk>/", admin.purge_detail, name="purge"),
    path("staff/", admin.staff, name="staff"),
    path("staff/<int:pk>/", admin.staff_change, name="staff-change"),
    path("kiosks/", admin.devices, name="devices"),
    path("set-aside/", admin.set_aside, name="set-aside"),
    path("audit/", admin.audit_page, name="audit"),
]
