"""The site's routes plus the floor page of the queue load benchmark (bench/settings.py selects it)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from collections_app.models import Account
from config.api.parsers import StrictJSONParser
from config.urls import urlpatterns as site_urlpatterns


@login_required
def floor(request):
    """The floor: 50 of the collector's accounts from one indexed query, in the site's layout."""
    accounts = Account.objects.filter(assigned_to=request.user).select_related("debtor").order_by("id")[:50]
    return render(request, "bench/floor.html", {"accounts": accounts, "today": timezone.localdate()})


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *site_urlpatterns]


class PaymentFloor(APIView):
    """The floor of bench.payments: the API's token check, throttle and JSON parsing, then a constant answer."""

    parser_classes = [StrictJSONParser]

    def post(self, request):
        # The body is parsed, as a payment's is, and its account echoed; nothing is read or written.
        return Response({"id": 0, "account": request.data.get("account")}, status=201)


urlpatterns += [path("bench/payment-floor/", PaymentFloor.as_view(), name="bench_payment_floor")]
