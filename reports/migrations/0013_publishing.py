"""Publication: every published version of a report (the public pages, search and PDF read it).

``PublishedVersion`` keeps each published snapshot (without the follow-up contact) so that the
public page can show earlier versions and what changed. On PostgreSQL the search reads a
``tsvector`` column through a GIN index (added here, a no-op on SQLite, the embedded default,
whose search is a plain ``icontains``). Reports already published get their first version from
their latest submission."""

import django.contrib.postgres.search
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# Kept in step with reports/published.py (search_config_for, document_public, document_search_text);
# copied here so that the migration does not change when that code does.
CONFIGS = {"en": "english", "fr": "french", "es": "spanish", "ru": "russian"}


def _public(doc):
    return {**doc, "contact": {}}


def _text(doc):
    parts = [*(doc.get("narrative") or {}).values()]
    for line in doc.get("action_lines") or []:
        parts += [line.get("achievements", ""), line.get("challenges", ""), line.get("future_priorities", "")]
        for story in line.get("success_stories") or []:
            parts += [story.get("title", ""), story.get("description", "")]
    for row in doc.get("indicators") or []:
        parts += [str(row.get(k) or "") for k in ("indicator", "value", "unit", "source", "note")]
    return "\n".join(p for p in parts if p and str(p).strip())


def published_backfill(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    Submission = apps.get_model("reports", "Submission")
    PublishedVersion = apps.get_model("reports", "PublishedVersion")
    for report in Report.objects.filter(status="published").select_related("entity"):
        sub = Submission.objects.filter(report=report).order_by("-number").first()
        if sub is None:
            continue
        PublishedVersion.objects.create(
            report=report,
            number=1,
            submission=sub,
            published_at=report.updated_at,
            content=_public(sub.content),
            search_title=" ".join(x for x in (report.entity.name, report.entity.acronym) if x),
            search_text=_text(sub.content),
            search_config=CONFIGS.get(report.language, "simple"),
        )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE reports_publishedversion SET search_vector = "
            "setweight(to_tsvector(search_config::regconfig, search_title), 'A') || "
            "setweight(to_tsvector(search_config::regconfig, search_text), 'B')"
        )


def search_index_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS published_version_search "
            "ON reports_publishedversion USING gin (search_vector) WHERE is_current"
        )
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            trigram = cursor.fetchone() is not None
        if trigram:  # created by 0005 where the database allows it; without it, names match unindexed
            schema_editor.execute(
                "CREATE INDEX IF NOT EXISTS published_version_title_trgm ON reports_publishedversion "
                "USING gin (UPPER((search_title)::text) gin_trgm_ops) WHERE is_current"
            )


def search_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS published_version_search")
        schema_editor.execute("DROP INDEX IF EXISTS published_version_title_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0012_section_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PublishedVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField(verbose_name="version")),
                (
                    "published_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="published at"),
                ),
                ("withdrawn_at", models.DateTimeField(blank=True, null=True, verbose_name="withdrawn at")),
                ("is_current", models.BooleanField(default=True, verbose_name="current")),
                (
                    "content",
                    models.JSONField(
                        help_text="The report as published, without the contact.", verbose_name="content"
                    ),
                ),
                ("search_title", models.TextField(blank=True, verbose_name="search title")),
                ("search_text", models.TextField(blank=True, verbose_name="search text")),
                (
                    "search_config",
                    models.CharField(
                        default="simple", max_length=16, verbose_name="text-search configuration"
                    ),
                ),
                (
                    "search_vector",
                    django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
                ),
                (
                    "pdf",
                    models.FileField(blank=True, upload_to="published/%Y/%m/", verbose_name="public PDF"),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="published_versions",
                        to="reports.report",
                    ),
                ),
                (
                    "submission",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="published_versions",
                        to="reports.submission",
                    ),
                ),
            ],
            options={
                "verbose_name": "published version",
                "verbose_name_plural": "published versions",
                "ordering": ["report", "number"],
                "indexes": [models.Index(fields=["-published_at"], name="published_version_newest")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("report", "number"), name="published_version_unique_number"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("is_current", True)),
                        fields=("report",),
                        name="published_version_one_current",
                    ),
                ],
            },
        ),
        migrations.RunPython(search_index_create, search_index_drop),
        migrations.RunPython(published_backfill, migrations.RunPython.noop),
    ]
