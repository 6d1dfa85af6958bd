"""The site's routes plus the floor page of the queue load benchmark (bench/settings.py selects it)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from collections_app.models import Account
from config.urls import urlpatterns as site_urlpatterns


@login_required
def floor(request):
    """The floor: 50 of the collector's accounts from one indexed query, in the site's layout."""
    accounts = Account.objects.filter(assigned_to=request.user).select_related("debtor").order_by("id")[:50]
    return render(request, "bench/floor.html", {"accounts": accounts, "today": timezone.localdate()})


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *site_urlpatterns]
