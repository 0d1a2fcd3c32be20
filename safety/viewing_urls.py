from django.urls import path

from safety import viewing_views as views

# Protected viewing (tests/safety/routes_viewing.py says how each is scoped).
urlpatterns = [
    path("protected/files/<int:pk>/preview/", views.derivative, name="derivative"),
    path("protected/files/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("protected/messages/<int:pk>/reveal/", views.reveal_text, name="reveal_text"),
    path("protected/reveal-end/", views.reveal_end, name="reveal_end"),
    path("tickets/<str:reference>/mark/", views.mark, name="mark"),
    path("tickets/<str:reference>/unmark/", views.unmark, name="unmark"),
    path("protection/", views.protection, name="protection"),
    path("protection/organisation/", views.protection_org, name="protection_org"),
    path("mask-words/", views.mask_words, name="mask_words"),
    path("mask-words/<int:pk>/delete/", views.mask_word_delete, name="mask_word_delete"),
]
