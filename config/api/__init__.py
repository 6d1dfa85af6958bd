"""The REST API's shared machinery: errors, schema, pagination, permissions, throttles, idempotency, routes."""
