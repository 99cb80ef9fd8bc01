"""``{{ country|country_label }}``, ``{{ region|region_label }}``: names in the reader's language."""

from django import template

from reports.web import places

register = template.Library()

register.filter("country_label", places.country_label)
register.filter("region_label", places.region_label)
