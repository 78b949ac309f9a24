from django.urls import path

from recommendations import (
    notification_views,
    questionnaire_views,
    review_views,
    start_views,
    translation_views,
    views,
    workspace_views,
)

app_name = "recommendations"

urlpatterns = [
    # Public catalogue
    path("recommendations/", views.catalogue, name="catalogue"),
    # Where a person lands after signing in
    path("start/", start_views.start, name="start"),
    # Reporting: focal points, and the Secretariat acting for a state
    path("workspace/", workspace_views.workspace_home, name="workspace"),
    path("workspace/<str:scope>/", workspace_views.dashboard, name="dashboard"),
    path(
        "workspace/<str:scope>/questionnaire/",
        questionnaire_views.questionnaire_page,
        name="questionnaire",
    ),
    path(
        "workspace/<str:scope>/questionnaire/download/",
        questionnaire_views.questionnaire_download,
        name="questionnaire-download",
    ),
    path(
        "workspace/<str:scope>/recommendations/<int:number>/new/",
        workspace_views.update_new,
        name="update-new",
    ),
    path("updates/<int:pk>/", workspace_views.update_detail, name="update"),
    path("updates/<int:pk>/edit/", workspace_views.update_edit, name="update-edit"),
    path(
        "updates/<int:pk>/submit/", workspace_views.update_submit, name="update-submit"
    ),
    path(
        "updates/<int:pk>/withdraw/",
        workspace_views.update_withdraw,
        name="update-withdraw",
    ),
    path(
        "updates/<int:pk>/delete/", workspace_views.update_delete, name="update-delete"
    ),
    path(
        "updates/<int:pk>/review/", workspace_views.update_review, name="update-review"
    ),
    path(
        "updates/<int:pk>/evidence/",
        workspace_views.evidence_upload,
        name="evidence-upload",
    ),
    path("evidence/<int:pk>/", workspace_views.evidence_download, name="evidence"),
    path(
        "evidence/<int:pk>/delete/",
        workspace_views.evidence_delete,
        name="evidence-delete",
    ),
    # What the portal emailed a person, beside their account's pages
    path(
        "accounts/notifications/",
        notification_views.notification_list,
        name="notifications",
    ),
    # The Secretariat
    path("review/", review_views.review_queue, name="review-queue"),
    path("review/coverage/", review_views.coverage, name="coverage"),
    path(
        "review/coverage/remind/",
        review_views.coverage_remind,
        name="coverage-remind",
    ),
    path(
        "review/coverage/export.<str:file_format>",
        review_views.coverage_export,
        name="coverage-export",
    ),
    path("review/<int:pk>/", review_views.review_detail, name="review"),
    path(
        "review/good-practices/",
        review_views.good_practice_list,
        name="good-practices",
    ),
    path(
        "updates/<int:pk>/good-practice/",
        review_views.good_practice_mark,
        name="good-practice-mark",
    ),
    path(
        "updates/<int:pk>/good-practice/unmark/",
        review_views.good_practice_unmark,
        name="good-practice-unmark",
    ),
    path("cycles/", review_views.cycle_list, name="cycles"),
    path("cycles/new/", review_views.cycle_create, name="cycle-new"),
    path("cycles/<slug:slug>/", review_views.cycle_detail, name="cycle"),
    path(
        "cycles/<slug:slug>/deadline/",
        review_views.cycle_deadline,
        name="cycle-deadline",
    ),
    path("cycles/<slug:slug>/toggle/", review_views.cycle_toggle, name="cycle-toggle"),
    path(
        "cycles/<slug:slug>/extensions/",
        review_views.extension_grant,
        name="extension-grant",
    ),
    path(
        "cycles/<slug:slug>/extensions/<int:pk>/revoke/",
        review_views.extension_revoke,
        name="extension-revoke",
    ),
    # The catalogue's translations
    path("translations/", translation_views.status, name="translations"),
    path(
        "translations/<str:lang>/",
        translation_views.language_page,
        name="translation-language",
    ),
    path(
        "translations/<str:lang>/export.po",
        translation_views.export,
        name="translation-export",
    ),
    path(
        "translations/<str:lang>/import/",
        translation_views.import_file,
        name="translation-import",
    ),
    path(
        "translations/<str:lang>/import/confirm/",
        translation_views.import_confirm,
        name="translation-import-confirm",
    ),
    path(
        "translations/<str:lang>/<str:key>/",
        translation_views.edit,
        name="translation-edit",
    ),
]
