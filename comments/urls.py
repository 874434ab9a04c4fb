from django.urls import path

from comments import (
    annotation_views,
    coordination_views,
    disposition_views,
    report_views,
    rereview_views,
    suggestion_views,
    views,
    word_views,
)
from comments.search import views as search_views

app_name = "comments"

urlpatterns = [
    path("h/<slug:slug>/c/<int:pk>/threads/new/", views.new_thread, name="new_thread"),
    path("h/<slug:slug>/c/<int:pk>/annotations/", annotation_views.annotations, name="annotations"),
    # The Word round trip (issue 15): a review copy out, a reviewed copy back.
    path("h/<slug:slug>/c/<int:pk>/review-copy.docx", word_views.review_copy, name="review_copy"),
    path(
        "h/<slug:slug>/review-copy.docx",
        word_views.handbook_review_copy,
        name="handbook_review_copy",
    ),
    path("h/<slug:slug>/word-reviews/new/", word_views.word_upload, name="word_upload"),
    path("h/<slug:slug>/word-reviews/<int:pk>/", word_views.word_review, name="word_review"),
    path(
        "h/<slug:slug>/word-reviews/<int:pk>/confirm/", word_views.word_confirm, name="word_confirm"
    ),
    path(
        "h/<slug:slug>/c/<int:pk>/since-review/",
        rereview_views.since_review_page,
        name="since_review",
    ),
    path(
        "h/<slug:slug>/c/<int:pk>/suggestions/new/",
        suggestion_views.new_suggestion,
        name="new_suggestion",
    ),
    path(
        "h/<slug:slug>/c/<int:pk>/suggestions/bulk/",
        suggestion_views.bulk_decide,
        name="bulk_decide",
    ),
    path("bulk/<int:pk>/undo/", suggestion_views.undo_bulk_run, name="undo_bulk"),
    path(
        "suggestions/<int:pk>/wording-diff/",
        suggestion_views.wording_diff,
        name="wording_diff",
    ),
    path(
        "h/<slug:slug>/c/<int:pk>/suggestions/preview/",
        suggestion_views.preview_suggestion,
        name="preview_suggestion",
    ),
    path(
        "h/<slug:slug>/c/<int:pk>/suggestions/rewrite/",
        suggestion_views.rewrite_section,
        name="rewrite_section",
    ),
    path(
        "suggestions/<int:pk>/accept/", suggestion_views.accept_suggestion, name="accept_suggestion"
    ),
    path(
        "suggestions/<int:pk>/decide/", suggestion_views.decide_suggestion, name="decide_suggestion"
    ),
    path(
        "suggestions/<int:pk>/reject/", suggestion_views.reject_suggestion, name="reject_suggestion"
    ),
    path(
        "suggestions/<int:pk>/withdraw/",
        suggestion_views.withdraw_suggestion,
        name="withdraw_suggestion",
    ),
    path("threads/<int:pk>/", views.thread, name="thread"),
    # Dispositions and the answers to them.
    path("threads/<int:pk>/dispose/", disposition_views.dispose_thread, name="dispose"),
    path("threads/<int:pk>/answer/", disposition_views.answer_thread, name="answer"),
    path(
        "h/<slug:slug>/c/<int:pk>/dispositions/",
        disposition_views.bulk_dispose,
        name="bulk_dispose",
    ),
    path("threads/<int:pk>/reply/", views.reply, name="reply"),
    path("threads/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("threads/<int:pk>/reattach/", views.reattach, name="reattach"),
    path("comments/<int:pk>/edit/", views.edit_comment, name="edit_comment"),
    path("comments/<int:pk>/delete/", views.delete_comment, name="delete_comment"),
    path("comments/<int:pk>/hide/", views.hide_comment, name="hide_comment"),
    path("h/<slug:slug>/dashboard/", report_views.dashboard, name="dashboard"),
    # A jurisdiction's coordinator: consolidating its comments and voting (issue 13, item 4).
    path("h/<slug:slug>/coordination/", coordination_views.coordination, name="coordination"),
    path("threads/<int:pk>/position/", coordination_views.set_position, name="set_position"),
    path(
        "h/<slug:slug>/rounds/<int:pk>/c/<int:chapter_pk>/vote/",
        coordination_views.vote,
        name="vote",
    ),
    path("h/<slug:slug>/my-review/", report_views.my_review, name="my_review"),
    path(
        "h/<slug:slug>/resolution-matrix.xlsx",
        report_views.resolution_matrix,
        {"fmt": "xlsx"},
        name="resolution_matrix_xlsx",
    ),
    path(
        "h/<slug:slug>/resolution-matrix.csv",
        report_views.resolution_matrix,
        {"fmt": "csv"},
        name="resolution_matrix_csv",
    ),
    # The disposition report (issue 13): the whole of it for editors, one jurisdiction's part
    # for its coordinators.
    *(
        path(
            f"h/<slug:slug>/disposition-report.{fmt}",
            report_views.disposition_report,
            {"fmt": fmt},
            name=f"disposition_report_{fmt}",
        )
        for fmt in ("xlsx", "csv", "pdf", "docx")
    ),
    *(
        path(
            f"h/<slug:slug>/disposition-report/<str:code>.{fmt}",
            report_views.jurisdiction_report,
            {"fmt": fmt},
            name=f"jurisdiction_report_{fmt}",
        )
        for fmt in ("xlsx", "pdf")
    ),
    # One search box in every page's header (comments/search/).
    path("search/", search_views.search, name="search"),
]
