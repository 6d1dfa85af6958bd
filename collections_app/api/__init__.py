"""The REST API of the collections domain: serializers, viewsets and their routes."""
