"""Routes of the dunning admin pages; the site includes them under /dunning/ (namespace "dunning")."""

from django.urls import path

from .views import dunning

app_name = "dunning"

urlpatterns = [
    path("", dunning.dunning_home, name="home"),
    path("tonight/", dunning.tonight, name="tonight"),
    path("policies/new/", dunning.policy_new, name="policy_new"),
    path("policies/<int:pk>/", dunning.policy_detail, name="policy"),
    path("policies/<int:pk>/delete/", dunning.policy_delete, name="policy_delete"),
    path("policies/<int:policy_pk>/stages/new/", dunning.stage_new, name="stage_new"),
    path("stages/<int:pk>/", dunning.stage_edit, name="stage"),
    path("stages/<int:pk>/delete/", dunning.stage_delete, name="stage_delete"),
    path("templates/", dunning.template_list, name="templates"),
    path("templates/new/", dunning.template_new, name="template_new"),
    path("templates/<int:pk>/", dunning.template_edit, name="template"),
    path("templates/<int:pk>/delete/", dunning.template_delete, name="template_delete"),
    path("runs/new/", dunning.run_start, name="run_start"),
    path("runs/<int:pk>/", dunning.run_detail, name="run"),
    path("letters/<str:day>/", dunning.letters_download, name="letters"),
]
