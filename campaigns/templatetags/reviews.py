"""The review form of one piece of work, with ids of its own: a page lists several works."""

from django import template

from campaigns.forms import WorkReviewForm

register = template.Library()


@register.simple_tag
def work_review_form(work):
    return WorkReviewForm(auto_id=f"id_review_{work.pk}_%s")
