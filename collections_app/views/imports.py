"""Admin pages for portfolio imports: upload a bundle, follow its progress, read and download its report."""

import io
import zipfile

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role
from accounts.permissions import role_required

from ..importer.bundle import FILE_NAMES, text_problem
from ..importer.report import OUTCOMES
from ..models import ImportJob
from ..services.imports import import_job_start, import_report_path

# Bigger bundles belong on the command line (manage.py import_portfolio), not in a browser upload.
MAX_UPLOAD_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".zip,.csv"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


def _csv_members(files):
    """(name, binary stream) of each bundle CSV in the upload, inside a zip or not."""
    for upload in files:
        if not upload.name.lower().endswith(".zip"):
            yield upload.name, upload
            continue
        try:
            archive = zipfile.ZipFile(upload)
        except zipfile.BadZipFile:
            raise forms.ValidationError(f"{upload.name} is not a readable zip file. Nothing was imported.")
        for member in archive.namelist():
            name = member.rsplit("/", 1)[-1]
            if name in FILE_NAMES and not member.rsplit("/", 1)[0].startswith(("__MACOSX", ".")):
                with archive.open(member) as raw:
                    yield name, raw
        upload.seek(0)


class ImportForm(forms.Form):
    files = MultipleFileField(
        label="Bundle",
        help_text="One .zip of the bundle, or its CSV files (debtors.csv and accounts.csv at least; "
        f"invoices.csv, payments.csv and adjustments.csv if you have them). At most {filesizeformat(MAX_UPLOAD_BYTES)}.",
    )
    dry_run = forms.BooleanField(label="Dry run: check the files and report, without saving anything", required=False)

    def clean_files(self):
        files = self.cleaned_data["files"]
        total = sum(f.size for f in files)
        if total > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The upload is {filesizeformat(total)}; the limit is {filesizeformat(MAX_UPLOAD_BYTES)}. "
                "Import a bundle this large with manage.py import_portfolio."
            )
        names = [f.name for f in files]
        unknown = [name for name in names if name not in FILE_NAMES]
        if unknown and not (len(files) == 1 and names[0].lower().endswith(".zip")):
            raise forms.ValidationError(
                f"{', '.join(unknown)}: choose one .zip, or CSV files named {', '.join(FILE_NAMES)}."
            )
        for name, raw in _csv_members(files):
            problem = text_problem(name, raw)
            if problem:
                raise forms.ValidationError(f"{problem} Nothing was imported.")
        return files

    def bundle(self) -> tuple[ContentFile, str]:
        """The upload as one zip (CSV files are zipped together), and the name to show for it."""
        files = self.cleaned_data["files"]
        if len(files) == 1 and files[0].name.lower().endswith(".zip"):
            return files[0], files[0].name
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for upload in files:
                with archive.open(upload.name, "w") as member:
                    for chunk in upload.chunks():
                        member.write(chunk)
        return ContentFile(buffer.getvalue(), name="bundle.zip"), ", ".join(f.name for f in files)


def _job_context(job: ImportJob) -> dict:
    rejected = sum(counts.get("rejected", 0) for counts in job.counts.values())
    return {
        "job": job,
        "finished": job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        "files": [(name, [job.counts[name].get(o, 0) for o in OUTCOMES]) for name in FILE_NAMES if name in job.counts],
        "outcomes": OUTCOMES,
        "rejected": rejected,
        "rejections_hidden": max(0, rejected - len(job.rejections)),
    }


@role_required(Role.ADMIN)
@require_GET
def import_list(request):
    page = Paginator(ImportJob.objects.select_related("created_by"), 50).get_page(request.GET.get("page"))
    return render(request, "collections_app/imports/list.html", {"page": page})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def import_new(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload, original_name = form.bundle()
        job = import_job_start(
            upload=upload, original_name=original_name, dry_run=form.cleaned_data["dry_run"], created_by=request.user
        )
        return redirect("import_detail", pk=job.pk)
    return render(request, "collections_app/imports/new.html", {"form": form, "max_bytes": MAX_UPLOAD_BYTES})


@role_required(Role.ADMIN)
@require_GET
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    return render(request, "collections_app/imports/detail.html", _job_context(job))


@role_required(Role.ADMIN)
@require_GET
def import_progress(request, pk):
    """The status block of the detail page, polled by htmx until the job has finished."""
    job = get_object_or_404(ImportJob, pk=pk)
    return render(request, "collections_app/imports/_status.html", _job_context(job))


@role_required(Role.ADMIN)
@require_GET
def import_report(request, pk):
    """Every rejected row as CSV (file, line, column, reason), with formula-looking cells neutralised."""
    job = get_object_or_404(ImportJob, pk=pk)
    path = import_report_path(job.pk)
    if not default_storage.exists(path):
        raise Http404("This import has no report yet.")
    return FileResponse(
        default_storage.open(path, "rb"),
        as_attachment=True,
        filename=f"import-{job.pk}-rejections.csv",
        content_type="text/csv; charset=utf-8",
    )
