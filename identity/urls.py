from django.urls import path

from identity import views, webauthn

app_name = "identity"

# Mounted at accounts/ (helpdesk.urls): the sign-in URLs people have bookmarked stay.
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/verify/", views.verify, name="verify"),
    path("sign-in/verify/key/begin/", webauthn.sign_in_begin, name="webauthn_sign_in_begin"),
    path("sign-in/verify/key/finish/", webauthn.sign_in_finish, name="webauthn_sign_in_finish"),
    path("sign-in/sso/", views.sso_find, name="sso_find"),
    path("sign-in/sso/<slug:slug>/", views.sso_start, name="sso_start"),
    path("sign-in/sso/<slug:slug>/callback/", views.sso_callback, name="sso_callback"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("security/", views.security, name="security"),
    path("security/enrol/", views.enrol, name="enrol"),
    path("security/enrol/app/", views.totp_start, name="totp_start"),
    path("security/enrol/app/confirm/", views.totp_confirm, name="totp_confirm"),
    path("security/enrol/key/begin/", webauthn.register_begin, name="webauthn_register_begin"),
    path("security/enrol/key/finish/", webauthn.register_finish, name="webauthn_register_finish"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path(
        "security/factors/<str:kind>/<int:factor_id>/remove/",
        views.factor_remove,
        name="factor_remove",
    ),  # fmt: skip
    path("security/sessions/<int:session_id>/end/", views.session_end, name="session_end"),
    path("security/sessions/end-all/", views.sessions_end_all, name="sessions_end_all"),
    path("security/tokens/", views.token_create, name="token_create"),
    path("security/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("access/people/<int:user_id>/", views.person, name="person"),
    path("access/policies/", views.policies, name="policies"),
    path("access/providers/", views.providers, name="providers"),
    path("access/providers/new/", views.provider_edit, name="provider_new"),
    path("access/providers/<int:provider_id>/", views.provider_edit, name="provider_edit"),
    path("access/log/", views.security_log, name="log"),
    path("access/tokens/", views.tokens, name="tokens"),
]
