"""Bodies of the token endpoint."""

from rest_framework import serializers


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="The current code of the user's authenticator app. Required when the user "
        "has set one up; leave it out otherwise.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as 'Authorization: Token <token>'. The same token until it is "
        "rotated ('manage.py apitoken --rotate')."
    )
