"""Print the API token of an existing user, creating it on first use."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Print the API token of USERNAME (send it as 'Authorization: Token <key>'). "
        "Creates the token if the user has none; --rotate replaces it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Revoke the current token and print a new one.",
        )

    def handle(self, *args, username: str, rotate: bool = False, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(
                f"No user named '{username}'. Create one first, e.g. with "
                "'manage.py createsuperuser' or in the admin."
            ) from None
        if not user.is_active:
            raise CommandError(
                f"User '{username}' is inactive; activate it before issuing a token."
            )
        with transaction.atomic():
            if rotate:
                Token.objects.filter(user=user).delete()
            token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
