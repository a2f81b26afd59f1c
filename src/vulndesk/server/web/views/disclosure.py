"""Web pages of disclosure (routes only; the pages are in the ``disclosure_*`` modules).

- ``disclosure_public``: the public report form and the reporter's status page (no login);
- ``disclosure_reports``: the report queue and a report's page (triagers);
- ``disclosure_cases``: cases, a case's page with its changes, invitations (participants).
"""

from __future__ import annotations

from django.urls import URLPattern, path

from vulndesk.server.web.views import disclosure_cases as cases
from vulndesk.server.web.views import disclosure_public as public
from vulndesk.server.web.views import disclosure_reports as reports

# included by web/urls.py (namespace ``web``)
urlpatterns: list[URLPattern] = [
    # -- no login --
    path("report/", public.report_submit_page, name="report-submit"),
    path("report/<str:tracking_id>/", public.report_status_page, name="report-status"),
    path(
        "report/<str:tracking_id>/files/<int:attachment_id>/",
        public.report_file_reporter,
        name="report-file-reporter",
    ),
    path(
        "report/<str:tracking_id>/case-files/<int:attachment_id>/",
        public.case_file_reporter,
        name="case-file-reporter",
    ),
    # -- triagers --
    path("reports/", reports.report_list, name="report-list"),
    path("reports/<str:tracking_id>/", reports.report_detail, name="report-detail"),
    path("reports/<str:tracking_id>/state/", reports.report_state, name="report-state"),
    path("reports/<str:tracking_id>/messages/", reports.report_message, name="report-message"),
    path("reports/<str:tracking_id>/accept/", reports.report_accept_case, name="report-accept"),
    path(
        "reports/<str:tracking_id>/files/<int:attachment_id>/",
        reports.report_file,
        name="report-file",
    ),
    # -- participants --
    path("cases/", cases.case_list, name="case-list"),
    path("cases/<int:case_id>/", cases.case_detail, name="case-detail"),
    path("cases/<int:case_id>/seen/", cases.case_seen, name="case-seen"),
    path("cases/<int:case_id>/messages/", cases.case_message, name="case-message"),
    path("cases/<int:case_id>/files/<int:attachment_id>/", cases.case_file, name="case-file"),
    path("cases/<int:case_id>/invite/", cases.case_invite, name="case-invite"),
    path(
        "cases/<int:case_id>/participants/<int:participant_id>/flag/",
        cases.participant_flag,
        name="participant-flag",
    ),
    path("cases/<int:case_id>/flags/", cases.case_flag, name="case-flag"),
    path("cases/<int:case_id>/embargo/", cases.case_embargo, name="case-embargo"),
    path("cases/<int:case_id>/vulnerabilities/", cases.vulnerability_add, name="vulnerability-add"),
    path(
        "cases/<int:case_id>/vulnerabilities/<int:vulnerability_id>/status/",
        cases.vendor_status,
        name="vendor-status",
    ),
    path(
        "cases/<int:case_id>/vulnerabilities/<int:vulnerability_id>/releases/",
        cases.releases_add_affected,
        name="releases-add-affected",
    ),
    path(
        "cases/<int:case_id>/statuses/<int:status_id>/approve/",
        cases.vendor_status_approve,
        name="vendor-status-approve",
    ),
    path("cases/<int:case_id>/close/", cases.case_close, name="case-close"),
    path("invitations/<str:secret>/", cases.invitation_accept, name="invitation-accept"),
]
