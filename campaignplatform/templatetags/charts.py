"""`{{ value|tick:chart.money }}`: short axis labels, "$1.2k" for cents and "1.2k" for counts."""

from django import template

from campaignplatform.charts import tick_label

register = template.Library()


@register.filter
def tick(value, money=False):
    return tick_label(value, money)
