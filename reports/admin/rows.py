"""The rows of an admin change list, built as Django's ``result_list`` tag builds them, for
lists whose columns are all methods of the ModelAdmin.

Django looks every cell up as a possible model field, then as an attribute, and wraps it with
``format_html`` twice: at 25 rows of 9 columns that was a quarter of the report list's time.
Here each column's method is looked up once per page and each cell is one string. The markup
is Django's (``<td class="field-NAME">``, the first link column a ``<th>`` with the change
link and the preserved filters, the action checkbox cell), so the admin's styles and scripts
work as before. ``None`` when a column is not a method (or is a boolean icon): then Django's
tag is used.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import result_headers, result_hidden_fields
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.validators import EMPTY_VALUES
from django.forms.utils import flatatt
from django.utils import formats
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString


def change_list_results(cl: Any) -> dict[str, Any] | None:
    """The context of ``admin/change_list_results.html`` for the change list ``cl``."""
    if cl.formset is not None:
        return None
    model_admin = cl.model_admin
    columns = []
    first_link = True
    for name in cl.list_display:
        method = getattr(model_admin, name, None) if isinstance(name, str) else None
        if not callable(method) or getattr(method, "boolean", False):
            return None
        empty = getattr(method, "empty_value_display", None)
        if empty is None:
            empty = model_admin.get_empty_value_display()
        if name == "action_checkbox":
            opening, closing, link = '<td class="action-checkbox">', "</td>", False
        elif first_link and name in (cl.list_display_links or ()):
            opening, closing, link = f'<th class="field-{name}">', "</th>", True
            first_link = False
        else:
            opening, closing, link = f'<td class="field-{name}">', "</td>", False
        columns.append((method, conditional_escape(empty), opening, closing, link))

    preserved = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    # Every change link carries the same preserved filters: worked out (which resolves the
    # link's URL) for the first row only.
    preserved_suffix: str | None = None
    rows = []
    for result in cl.result_list:
        cells = []
        for method, empty, opening, closing, link in columns:
            value = method(result)
            if isinstance(value, str) and not value.strip():
                value = ""
            if value in EMPTY_VALUES:
                shown = empty
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                shown = formats.number_format(value)
            else:
                shown = conditional_escape(value)
            if link:
                url = cl.url_for_result(result)
                if "?" in url or "#" in url:
                    url = add_preserved_filters(preserved, url)
                else:
                    if preserved_suffix is None:
                        preserved_suffix = add_preserved_filters(preserved, url)[len(url) :]
                    url += preserved_suffix
                shown = f'<a href="{conditional_escape(url)}">{shown}</a>'
            cells.append(SafeString(opening + str(shown) + closing))
        rows.append(cells)

    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": rows,
    }


class QuickSelect(forms.Select):
    """Django's ``Select``, its markup written in Python rather than through the form templates
    (an include per option and per attribute): the list's action menu took 1 ms that way."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((o["value"], flatatt(o["attrs"]), o["label"]) for o in options),
            )
            groups.append(
                format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
                if group_name
                else rendered
            )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(widget["attrs"]),
            format_html_join("", "{}", ((group,) for group in groups)),
        )


class ActionForm(helpers.ActionForm):
    """The admin's action form (same fields and labels), its menu a ``QuickSelect``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].widget = QuickSelect(choices=self.fields["action"].choices)
