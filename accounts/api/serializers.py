"""Serializers of API tokens: never the key, except once in the answer to its creation."""

from rest_framework import serializers

from ..models import ApiToken, Role, User


class ApiTokenSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "role",
            "owner",
            "rate_limit",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = fields


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown this once: store it now, it cannot be read again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), help_text="The user the token acts as."
    )
    role = serializers.ChoiceField(choices=Role.choices, help_text="At most the owner's role.")
    rate_limit = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="Like 600/min; empty for the default."
    )
