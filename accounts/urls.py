from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import security_views
from accounts import views as account_views

urlpatterns = [
    # Two steps when the user has two-factor sign-in: password, then a code.
    path("login/", security_views.LoginView.as_view(), name="login"),
    path("login/code/", security_views.login_code, name="login-code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        account_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "invitation/<str:token>/",
        account_views.accept_invitation,
        name="accept-invitation",
    ),
    path("users/", account_views.user_list, name="user-list"),
    path("users/invite/", account_views.invite, name="invite"),
    path(
        "users/<int:pk>/deactivate/", account_views.deactivate, name="deactivate-user"
    ),
    path(
        "users/<int:pk>/reset-two-factor/",
        security_views.reset_two_factor,
        name="reset-two-factor",
    ),
    path("security/", security_views.account_security, name="account-security"),
    path(
        "security/two-factor/",
        security_views.two_factor_setup,
        name="two-factor-setup",
    ),
    path(
        "security/two-factor/recovery-codes/",
        security_views.recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path(
        "security/two-factor/recovery-codes/new/",
        security_views.recovery_codes_regenerate,
        name="two-factor-regenerate",
    ),
    path(
        "security/two-factor/off/",
        security_views.two_factor_disable,
        name="two-factor-disable",
    ),
    path("security/policy/", security_views.security_policy, name="security-policy"),
    path(
        "invitations/<int:pk>/revoke/",
        account_views.revoke_invitation,
        name="revoke-invitation",
    ),
]
