"""What the feed endpoints answer: the new subscription's URLs."""

from rest_framework import serializers


class FeedLinksSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The feed (ends in .ics); the token in it is the key.")
    webcal_url = serializers.CharField(help_text="The same feed as webcal://, for Apple devices.")
    subscribe_page = serializers.URLField(
        help_text="A page with one-click links, a QR code and instructions; print or email it."
    )
