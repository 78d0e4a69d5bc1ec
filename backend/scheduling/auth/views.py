"""``POST /api/v1/auth/token/``: the API's login, with the console's lockout and second factor.

- Bad credentials (unknown user, wrong password, missing or wrong one-time code, inactive
  account) all answer the same 400, naming no field, so the answer does not tell which part
  was wrong.
- Each of those failures counts towards the lockout (django-axes), shared with the console
  login: once locked out, the endpoint answers 429 with ``Retry-After``, even to the right
  password. 429 rather than 403: the refusal is about the rate of attempts, says when to
  come back, and clients already retry 429 after waiting.
- 403: the password and code are right, but a clinic of the user requires a second factor
  and the user has not set one up (the console's setup page does that).
"""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.errors import DomainError, Forbidden
from backend.common.serializers import ErrorSerializer
from backend.scheduling.auth.lockout import LOCKED_OUT_STATUS, lockout_message, login_failed
from backend.scheduling.auth.policy import code_is_valid, confirmed_device, second_factor_required
from backend.scheduling.auth.serializers import TokenRequestSerializer, TokenSerializer

BAD_CREDENTIALS = (
    "Unable to log in with these credentials. An account with an authenticator app also "
    "needs its current code in 'otp'."
)
ENROL_FIRST = (
    "Your clinic requires a second login factor: set up an authenticator app in the console "
    "(Account security) before asking for a token."
)


class BadCredentials(DomainError):
    """400 without naming a field: which part was wrong stays unsaid."""


class LockedOut(DomainError):
    status_code = LOCKED_OUT_STATUS


@method_decorator(sensitive_post_parameters("password", "otp"), name="dispatch")
class TokenView(APIView):
    """Trade a username, password and (when set up) one-time code for the user's API token."""

    # No session, no CSRF: the credentials are in the body.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        description=(
            "Exchange a username and password, and the current code of the user's "
            "authenticator app if they have set one up, for their API token. Failures count "
            "towards the same lockout as the console's login: after too many, the username "
            "is refused from the caller's address, even with the right password, until the "
            "wait in `Retry-After` has passed without further attempts."
        ),
        request=TokenRequestSerializer,
        parameters=[
            OpenApiParameter(
                "Retry-After",
                int,
                OpenApiParameter.HEADER,
                response=[429],
                description="Seconds to wait before trying again.",
            )
        ],
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Bad credentials (unknown user, wrong password, missing or wrong "
                "code, inactive account), all answered alike; or a required field is missing.",
                examples=[
                    OpenApiExample(
                        "Bad credentials", value={"detail": BAD_CREDENTIALS, "errors": {}}
                    )
                ],
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description="The credentials are right, but a clinic of the user requires a "
                "second factor and the user has not set one up yet.",
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description="Locked out after too many failed attempts: wait the seconds in "
                "the Retry-After header; every attempt before then starts the wait again.",
            ),
        },
    )
    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        http_request = request._request
        user = authenticate(http_request, username=data["username"], password=data["password"])
        if user is None:
            self._refuse(http_request, locked=getattr(http_request, "axes_locked_out", False))
        device = confirmed_device(user)
        if device is not None:
            if not code_is_valid(device, data.get("otp")):
                self._refuse(http_request, locked=login_failed(http_request, data["username"]))
        elif second_factor_required(user):
            raise Forbidden(ENROL_FIRST)
        token, _ = Token.objects.get_or_create(user=user)
        # A login like the console's: last_login, the lockout's failure count reset.
        user_logged_in.send(sender=type(user), request=http_request, user=user)
        return Response(TokenSerializer({"token": token.key}).data)

    @staticmethod
    def _refuse(http_request, *, locked: bool):
        if locked:
            raise LockedOut(lockout_message(http_request))
        raise BadCredentials(BAD_CREDENTIALS)
