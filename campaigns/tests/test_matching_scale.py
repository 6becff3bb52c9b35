"""Matching at scale: the copies of a campaign's skills and languages on its row stay right, and
the best-match SQL agrees with the rules in Python."""

import random

import pytest
from django.db import connection

from accounts.models import FollowerEstimate, Language, PromoterLanguage, PromoterSkill, Skill, User
from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from campaigns import matching, services
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def _ids(campaign):
    campaign = Campaign.objects.get(pk=campaign.pk)
    return campaign.skill_ids, campaign.language_ids


def _pks(queryset):
    return sorted(queryset.values_list("pk", flat=True))


# --- skill_ids and language_ids ------------------------------------------------------------------


def test_the_row_copies_follow_every_change_of_skills_and_languages():
    skills, languages = list(Skill.objects.order_by("pk")[:3]), list(Language.objects.order_by("pk")[:2])
    campaign = CampaignFactory()
    assert _ids(campaign) == ([], [])

    campaign.skills.set(skills[:2])
    campaign.languages.add(languages[1])
    assert _ids(campaign) == ([skills[0].pk, skills[1].pk], [languages[1].pk])

    campaign.skills.remove(skills[0])
    campaign.skills.add(skills[2])
    campaign.languages.set([languages[0]])
    assert _ids(campaign) == ([skills[1].pk, skills[2].pk], [languages[0].pk])

    campaign.skills.clear()
    campaign.languages.clear()
    assert _ids(campaign) == ([], [])


def test_raw_sql_on_the_link_tables_updates_the_copies_of_each_campaign_once():
    first, second = CampaignFactory(), CampaignFactory()
    skill, other = Skill.objects.order_by("pk")[:2]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaigns_skills (campaign_id, skill_id) VALUES (%s, %s), (%s, %s), (%s, %s)",
            [first.pk, skill.pk, first.pk, other.pk, second.pk, skill.pk],
        )
    assert _ids(first)[0] == [skill.pk, other.pk]
    assert _ids(second)[0] == [skill.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_skills SET campaign_id = %s WHERE campaign_id = %s AND skill_id = %s",
            [second.pk, first.pk, other.pk],
        )
    assert _ids(first)[0] == [skill.pk]
    assert _ids(second)[0] == [skill.pk, other.pk]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_skills WHERE skill_id = %s", [skill.pk])
    assert _ids(first)[0] == []
    assert _ids(second)[0] == [other.pk]


def test_saving_a_stale_campaign_cannot_write_old_copies_back():
    campaign = CampaignFactory()
    stale = Campaign.objects.get(pk=campaign.pk)
    campaign.skills.set(Skill.objects.order_by("pk")[:1])
    campaign.languages.set(Language.objects.order_by("pk")[:1])

    stale.title = "Renamed"
    stale.save()  # every column, the copies loaded before the change included

    assert _ids(campaign) == (_pks(campaign.skills), _pks(campaign.languages))
    assert Campaign.objects.get(pk=campaign.pk).title == "Renamed"


def test_the_campaign_services_leave_the_copies_right():
    skills, languages = list(Skill.objects.order_by("pk")[:3]), list(Language.objects.order_by("pk")[:2])
    campaign = services.campaign_create(
        advertiser=AdvertiserFactory(),
        campaign_type="visibility",
        languages=languages[:1],
        skills=skills[:2],
        title="New",
        description="About it.",
        target_url="https://example.com/",
        start_date=CampaignFactory.build().start_date,
        end_date=CampaignFactory.build().end_date,
        cpv=300,
        max_views=1000,
    )
    assert _ids(campaign) == ([skills[0].pk, skills[1].pk], [languages[0].pk])

    services.campaign_update(campaign=campaign, skills=skills[2:], languages=languages, title="Edited")
    assert _ids(campaign) == ([skills[2].pk], [language.pk for language in languages])


# --- the best-match page's score -----------------------------------------------------------------


def _random_promoter(rng, skills, languages, *, record=None):
    promoter = PromoterFactory()
    details = promoter.promoter_details
    for skill in rng.sample(skills, rng.randint(0, min(3, len(skills)))):
        PromoterSkill.objects.create(promoter=details, skill=skill)
    for language in rng.sample(languages, rng.randint(0, min(2, len(languages)))):
        PromoterLanguage.objects.create(promoter=details, language=language)
    for platform in rng.sample(["youtube", "instagram", "tiktok", "x"], rng.randint(0, 3)):
        followers = rng.choice([0, 90, 4_000, 2_000_000])
        FollowerEstimate.objects.create(promoter=details, platform=platform, followers=followers)
    record = record or {
        "campaigns_completed": rng.randint(0, 5),
        "campaigns_cancelled": rng.randint(0, 2),
        "works_approved": rng.randint(0, 4),
        "works_rejected": rng.randint(0, 2),
        "link_requests": rng.randint(0, 50),
    }
    record.setdefault("works_approved_on_time", min(record.get("works_approved", 0), rng.randint(0, 4)))
    record.setdefault("link_real_views", rng.randint(0, record.get("link_requests", 0)))
    User.objects.filter(pk=promoter.pk).update(**record)
    promoter.refresh_from_db()
    return promoter


def _random_campaign(rng, skills, languages, categories, **kwargs):
    campaign = CampaignFactory(
        active=True,
        category=rng.choice(categories),
        platforms=rng.sample(["youtube", "instagram", "tiktok", "x"], rng.randint(0, 2)),
        **kwargs,
    )
    campaign.skills.set(rng.sample(skills, rng.randint(0, min(3, len(skills)))))
    campaign.languages.set(rng.sample(languages, rng.randint(0, min(2, len(languages)))))
    return campaign


@pytest.fixture
def catalogue():
    from accounts.models import AdvertiserType

    return (
        list(Skill.objects.order_by("pk")[:6]),
        list(Language.objects.order_by("pk")[:4]),
        list(AdvertiserType.objects.order_by("pk")[:3]),
    )


def test_the_best_match_order_is_the_python_score_order(catalogue):
    rng = random.Random(18)
    skills, languages, categories = catalogue
    campaigns = [_random_campaign(rng, skills, languages, categories) for _ in range(30)]
    promoter = _random_promoter(rng, skills, languages)
    PromoterCampaignFactory(promoter=promoter, campaign=campaigns[0])  # past work in a category
    profile = matching.promoter_profile(promoter)

    ranked = list(matching.campaigns_best_match(Campaign.objects.listed(), profile))

    fresh = Campaign.objects.prefetch_related("languages", "skills").in_bulk([c.pk for c in campaigns])
    expected = {pk: matching.match_for(campaign, profile).score for pk, campaign in fresh.items()}
    assert {campaign.pk: campaign.match_score for campaign in ranked} == expected
    keys = [(-c.match_score, -c.published_at.timestamp(), -c.pk) for c in ranked]
    assert keys == sorted(keys)
