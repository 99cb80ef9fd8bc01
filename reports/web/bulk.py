"""The page that marks Action Lines not applicable in bulk: every line (C7's sub-lines nested)
with a checkbox, saved in one request. A plain form: it works without JavaScript.

The page carries each line's section version; the service refuses the whole save when a
colleague saved one of the lines it changes meanwhile, and the page comes back with the
person's ticks kept and the lines' current states, ready to save again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from .. import annex, selectors, services
from ..errors import EditConflict, NotEditable, ReportError
from .views import AuthenticatedHttpRequest, _report_or_404, _workspace_context

VERSION_PREFIX = "v-"  # the hidden input carrying a line's section version: v-C7.GOV
CHECKBOX = "not_applicable"  # one checkbox per line, its value the line's code


def _flatten(choices: list[selectors.LineChoice]) -> list[selectors.LineChoice]:
    return [c for top in choices for c in (top, *top.sub_lines)]


def _posted(request: HttpRequest) -> tuple[set[str], dict[str, int]] | None:
    """The ticked codes and the versions the page was loaded with; ``None`` if tampered with."""
    versions: dict[str, int] = {}
    for name in request.POST:
        if name.startswith(VERSION_PREFIX):
            try:
                versions[name.removeprefix(VERSION_PREFIX)] = int(request.POST.get(name, ""))
            except ValueError:
                return None
    return set(request.POST.getlist(CHECKBOX)), versions


def _render(
    request: HttpRequest, report: Any, *, ticked: set[str] | None = None, status: int = 200
) -> HttpResponse:
    context = _workspace_context(request, report, current_key="lines-not-applicable")
    choices = selectors.report_line_choices(report=report)
    for choice in _flatten(choices):
        # What the box shows: the stored mark, or what the person ticked when the save was refused.
        choice.checked = (choice.line.code in ticked) if ticked is not None else choice.not_applicable
    context.update(
        {
            "spec": annex.section("action-lines"),
            "choices": choices,
            "open_count": len(selectors.lines_open(report=report)),
            "checkbox_name": CHECKBOX,
            "version_prefix": VERSION_PREFIX,
        }
    )
    return render(request, "reports/lines_not_applicable.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def lines_not_applicable(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id)
    if request.method == "GET":
        return _render(request, report)
    if not report.is_editable_by_stakeholders:
        messages.info(request, _("This report has been submitted and can no longer be changed."))
        return redirect("reports:submitted", report_id=report.pk)
    posted = _posted(request)
    if posted is None:
        messages.error(request, _("That did not work: reload the page and try again."))
        return redirect("reports:lines_not_applicable", report_id=report.pk)
    ticked, versions = posted
    try:
        changed = services.report_lines_set_not_applicable(
            report=report, marked=ticked, base_versions=versions, user=request.user
        )
    except EditConflict as conflict:
        report.refresh_from_db()
        labels = {c.line.code: c.line.label for c in _flatten(selectors.report_line_choices(report=report))}
        messages.error(
            request,
            _(
                "Nothing was saved: a colleague changed %(lines)s while you were choosing. Their "
                "change is shown below and your ticks are kept: check them, then save again."
            )
            % {"lines": "; ".join(labels.get(code, code) for code in conflict.theirs)},
        )
        return _render(request, report, ticked=ticked, status=409)
    except NotEditable as error:
        messages.info(request, str(error))
        return redirect("reports:submitted", report_id=report.pk)
    except ReportError as error:
        messages.error(request, str(error))
        return _render(request, report, ticked=ticked, status=400)
    marked = sum(1 for code in changed if code in ticked)
    unmarked = len(changed) - marked
    if not changed:
        messages.info(request, _("Nothing to save: no line changed."))
    else:
        parts = []
        if marked:
            parts.append(
                ngettext(
                    "%(count)d line marked not applicable",
                    "%(count)d lines marked not applicable",
                    marked,
                )
                % {"count": marked}
            )
        if unmarked:
            parts.append(
                ngettext(
                    "%(count)d line applies again, with anything typed in it",
                    "%(count)d lines apply again, with anything typed in them",
                    unmarked,
                )
                % {"count": unmarked}
            )
        messages.success(request, _("Saved: %(what)s.") % {"what": "; ".join(parts)})
    return redirect("reports:lines_not_applicable", report_id=report.pk)
