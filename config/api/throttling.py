"""Rate limits keyed by API token (each token may carry its own rate), else by signed-in user."""

from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """One bucket per token: two systems of one owner do not share a limit. Session users: one per user."""

    scope = "token"

    def allow_request(self, request, view):
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None and token.rate_limit:
            self.rate = token.rate_limit
            self.num_requests, self.duration = self.parse_rate(self.rate)
        elif token is None:
            self.scope = "user"
            self.rate = self.get_rate()
            self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except RedisError:
            # The counters live in the Redis cache: with Redis down the API keeps answering, unthrottled.
            return True

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return self.cache_format % {"scope": "token", "ident": request.auth.pk}
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": "user", "ident": request.user.pk}
        return self.cache_format % {"scope": "anon", "ident": self.get_ident(request)}
