"""Demo data for matching and pricing (called from the demo builder with one line).

Gives the demo campaigns the skills and platforms they look for (so promoters see reasons in
the marketplace and advertisers see suggested promoters), and has each advertiser invite the
best suggested promoter to one open campaign through the invitation service (a notification,
the "Invited" badge). Forecasts need nothing here: billing keeps them as the history spends.
Safe to run again: targeting is set, and an invitation already sent is skipped.
"""

from accounts.models import Skill
from campaigns import invitations, matching
from campaigns.models import Campaign

# title: (skills, platforms)
TARGETING = {
    "Trail Running Shoes Launch": (["video-production"], ["youtube", "tiktok"]),
    "Headlamp Night Hikes": (["photography"], ["instagram"]),
    "Kayak Season Preview": (["video-production"], ["youtube", "instagram"]),
    "Spring Trail Cleanup Day": (["community-building"], ["instagram", "tiktok"]),
    "Gear Review Video Series": (["video-production", "product-reviews"], ["youtube"]),
    "Trail Safety Workshop Series": (["public-speaking", "video-production"], ["youtube"]),
    "Brand Ambassador Program 2027": (["community-building", "social-media-management"], ["instagram", "tiktok"]),
    "Autumn Catalog Product Photos": (["photography"], ["instagram"]),
    "Trail Map Illustrations": (["graphic-design"], []),
    "Gift Guide Photo Set": (["photography", "copywriting"], ["instagram", "blog"]),
    "Backpack Referral Program": (["product-reviews"], ["youtube", "blog"]),
    "Trail Shoe Coupon": (["product-reviews"], ["instagram", "tiktok"]),
    "Camp Stove Referral": (["product-reviews", "copywriting"], ["blog", "youtube"]),
    "Cold Brew Summer": (["social-media-management"], ["instagram", "tiktok"]),
    "Cafe Social Media Management": (["social-media-management"], ["instagram"]),
    "Latte Art Workshop Videos": (["video-production"], ["youtube", "instagram"]),
    "Holiday Pop-up Event Host": (["public-speaking", "community-building"], []),
    "Bag Design Illustrations": (["graphic-design"], []),
    "Coffee Bag Label Art": (["graphic-design"], []),
    "Menu Board Photos": (["photography"], ["instagram"]),
    "Espresso Machine Referral": (["product-reviews"], ["youtube", "instagram"]),
    "Coffee Club Coupon": (["social-media-management"], ["instagram"]),
    "Subscription Referral": (["copywriting"], ["blog"]),
}


def targeting_set(advertisers) -> int:
    skills = {skill.slug: skill for skill in Skill.objects.all()}
    done = 0
    for campaign in Campaign.objects.filter(advertiser__in=advertisers, title__in=TARGETING):
        wanted_skills, platforms = TARGETING[campaign.title]
        Campaign.objects.filter(pk=campaign.pk).update(platforms=platforms)
        campaign.skills.set([skills[slug] for slug in wanted_skills if slug in skills])
        done += 1
    return done


def invitations_send(advertisers, *, signed_in_promoter) -> int:
    """Each advertiser invites a suggested promoter to its first open campaign that has one:
    the demo promoter who can sign in when suggested, so the invitation can be seen live."""
    sent = 0
    for advertiser in advertisers:
        open_campaigns = Campaign.objects.listed().filter(advertiser=advertiser).order_by("published_at", "pk")
        for campaign in open_campaigns:
            suggested = matching.promoters_best_match(campaign, limit=3)
            if not suggested:
                continue
            chosen = next((p for p in suggested if p.pk == signed_in_promoter.pk), suggested[0])
            if not campaign.invitations.filter(promoter=chosen).exists():
                invitations.invitation_create(campaign=campaign, promoter=chosen, actor=advertiser)
                sent += 1
            break
    return sent


def build(people: dict) -> None:
    advertisers = [user for user in people.values() if user.is_advertiser]
    targeting_set(advertisers)
    invitations_send(advertisers, signed_in_promoter=people["pat"])
