"""Campaign events tell the other party once, after commit, with a link to where they act."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Notification, NotificationKind
from campaigns import notifications, services
from campaigns.models import ApplicationMessage, MessageKind, Party, StatusReason
from campaigns.tests.factories import ApplicationFactory, CampaignFactory, DeliverableFactory, WorkFactory
from tests.support.funding import fund_without_stripe

pytestmark = pytest.mark.django_db


def notes(user, kind):
    return Notification.objects.filter(user=user, kind=kind)


def the_note(user, kind):
    """The one notification of `kind` for `user`, and its email."""
    (note,) = notes(user, kind)
    emails = [email for email in mail.outbox if email.subject == note.title]
    assert len(emails) == 1 and emails[0].to == [user.email]
    return note


def application_url(application):
    return reverse("campaigns:application_detail", args=[application.public_id])


def participation_url(participation):
    return reverse("campaigns:participation_detail", args=[participation.public_id])


def campaign_url(campaign):
    return reverse("campaigns:advertiser_detail", args=[campaign.public_id])


def fund_url(campaign):
    return reverse("billing:fund", args=[campaign.public_id])


# --- Applications and negotiation -----------------------------------------------------------


def test_application_received_tells_the_advertiser_once(django_capture_on_commit_callbacks, promoter):
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)

    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_create(
            campaign=campaign, promoter=promoter, amount_cents=20_000, pitch="I did this for Acme."
        )
    with pytest.raises(services.AlreadyParticipating), django_capture_on_commit_callbacks(execute=True):
        services.application_create(campaign=campaign, promoter=promoter, amount_cents=20_000, pitch="Again")

    note = the_note(campaign.advertiser, NotificationKind.APPLICATION_RECEIVED)
    assert note.url == application_url(application)
    assert note.event_key == f"application:{application.pk}:received"
    assert "$200.00" in note.body and "I did this for Acme." in note.body
    assert not Notification.objects.filter(user=promoter).exists()


def test_counter_offers_go_both_ways_and_each_new_offer_is_told(django_capture_on_commit_callbacks):
    application = ApplicationFactory()
    advertiser, promoter = application.campaign.advertiser, application.promoter

    with django_capture_on_commit_callbacks(execute=True):
        services.application_counter(application=application, actor=advertiser, amount_cents=15_000, message="Less?")
    note = the_note(promoter, NotificationKind.APPLICATION_COUNTERED)
    assert note.url == application_url(application) and "$150.00" in note.title and "Less?" in note.body

    with django_capture_on_commit_callbacks(execute=True):
        services.application_counter(application=application, actor=promoter, amount_cents=18_000)
    note = the_note(advertiser, NotificationKind.APPLICATION_COUNTERED)
    assert note.url == application_url(application) and "$180.00" in note.title

    with django_capture_on_commit_callbacks(execute=True):
        services.application_counter(application=application, actor=advertiser, amount_cents=16_000)
    assert notes(promoter, NotificationKind.APPLICATION_COUNTERED).count() == 2
    assert len(mail.outbox) == 3

    # The same offer told again (a replay) is stored and sent once.
    offer = ApplicationMessage.objects.filter(kind=MessageKind.OFFER, amount=16_000).get()
    application.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.application_countered(application=application, offer=offer, by_party=Party.ADVERTISER)
    assert notes(promoter, NotificationKind.APPLICATION_COUNTERED).count() == 2
    assert len(mail.outbox) == 3


def test_advertiser_accepting_tells_the_promoter_once(django_capture_on_commit_callbacks):
    application = ApplicationFactory()
    advertiser = application.campaign.advertiser

    with django_capture_on_commit_callbacks(execute=True):
        participation = services.application_accept(application=application, actor=advertiser)
    with pytest.raises(services.InvalidTransition), django_capture_on_commit_callbacks(execute=True):
        services.application_accept(application=application, actor=advertiser)

    note = the_note(application.promoter, NotificationKind.APPLICATION_ACCEPTED)
    assert note.url == participation_url(participation)
    assert "$200.00" in note.body
    assert not notes(advertiser, NotificationKind.APPLICATION_ACCEPTED).exists()


def test_promoter_accepting_a_counter_offer_asks_the_advertiser_to_fund(django_capture_on_commit_callbacks):
    application = ApplicationFactory(countered=True, current_amount=25_000)
    campaign = application.campaign

    with django_capture_on_commit_callbacks(execute=True):
        services.application_accept(application=application, actor=application.promoter)

    note = the_note(campaign.advertiser, NotificationKind.APPLICATION_ACCEPTED)
    assert note.url == fund_url(campaign)
    assert "$250.00" in note.body


def test_rejection_tells_the_promoter_the_reason(django_capture_on_commit_callbacks):
    application = ApplicationFactory()
    advertiser = application.campaign.advertiser

    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(application=application, actor=advertiser, code="timeline", note="We start Monday")
    with pytest.raises(services.InvalidTransition), django_capture_on_commit_callbacks(execute=True):
        services.application_reject(application=application, actor=advertiser, code="fit")

    note = the_note(application.promoter, NotificationKind.APPLICATION_REJECTED)
    assert note.url == application_url(application)
    assert "The timeline does not work: We start Monday" in note.body


# --- Work -----------------------------------------------------------------------------------


def test_submitted_work_tells_the_advertiser_and_a_resubmission_tells_again(django_capture_on_commit_callbacks):
    deliverable = DeliverableFactory()
    participation = deliverable.promoter_campaign
    advertiser, promoter = participation.campaign.advertiser, participation.promoter

    with django_capture_on_commit_callbacks(execute=True):
        first = services.work_submit(deliverable=deliverable, actor=promoter, text="Draft one")
    with pytest.raises(services.InvalidTransition), django_capture_on_commit_callbacks(execute=True):
        services.work_submit(deliverable=deliverable, actor=promoter, text="Twice")

    note = the_note(advertiser, NotificationKind.WORK_SUBMITTED)
    assert note.url == participation_url(participation)
    assert note.event_key == f"work:{first.pk}:submitted"

    with django_capture_on_commit_callbacks(execute=True):
        services.work_request_revision(work=first, actor=advertiser, code="format", note="Shorter")
        services.work_submit(deliverable=deliverable, actor=promoter, text="Draft two")
    assert notes(advertiser, NotificationKind.WORK_SUBMITTED).count() == 2


def test_approval_tells_the_promoter_once(django_capture_on_commit_callbacks):
    work = WorkFactory()
    participation = work.deliverable.promoter_campaign

    with django_capture_on_commit_callbacks(execute=True):
        assert services.work_approve(work=work, actor=participation.campaign.advertiser) is True
        assert services.work_approve(work=work, actor=participation.campaign.advertiser) is False

    note = the_note(participation.promoter, NotificationKind.WORK_APPROVED)
    assert note.url == participation_url(participation)
    assert note.event_key == f"work:{work.pk}:approved"
    assert "$100.00" in note.body and "automatically" not in note.body


def test_auto_approval_by_the_task_tells_the_promoter_once(django_capture_on_commit_callbacks):
    from campaigns.tasks import auto_approve_overdue_work

    work = WorkFactory(overdue=True)
    promoter = work.deliverable.promoter_campaign.promoter

    with django_capture_on_commit_callbacks(execute=True):
        assert auto_approve_overdue_work() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert auto_approve_overdue_work() == 0

    note = the_note(promoter, NotificationKind.WORK_APPROVED)
    assert "approved automatically" in note.body


def test_each_revision_request_is_told_once(django_capture_on_commit_callbacks):
    work = WorkFactory()
    deliverable, participation = work.deliverable, work.deliverable.promoter_campaign
    advertiser, promoter = participation.campaign.advertiser, participation.promoter

    with django_capture_on_commit_callbacks(execute=True):
        services.work_request_revision(work=work, actor=advertiser, code="incomplete", note="Add the logo")
    with pytest.raises(services.InvalidTransition), django_capture_on_commit_callbacks(execute=True):
        services.work_request_revision(work=work, actor=advertiser, code="incomplete", note="Replayed")
    note = the_note(promoter, NotificationKind.WORK_REVISION_REQUESTED)
    assert note.url == participation_url(participation)
    assert "Their reason: Incomplete: parts are missing: Add the logo" in note.body

    with django_capture_on_commit_callbacks(execute=True):
        second = services.work_submit(deliverable=deliverable, actor=promoter, text="With logo")
        services.work_request_revision(work=second, actor=advertiser, code="quality", note="Bigger logo")
    assert notes(promoter, NotificationKind.WORK_REVISION_REQUESTED).count() == 2


def test_rejected_work_tells_the_promoter(django_capture_on_commit_callbacks):
    work = WorkFactory()
    participation = work.deliverable.promoter_campaign

    with django_capture_on_commit_callbacks(execute=True):
        services.work_reject(work=work, actor=participation.campaign.advertiser, code="brief")

    note = the_note(participation.promoter, NotificationKind.WORK_REJECTED)
    assert note.url == participation_url(participation) and "Their reason: Does not follow the brief" in note.body


# --- Campaign status ------------------------------------------------------------------------


def test_funding_tells_the_advertiser_it_is_live_once(django_capture_on_commit_callbacks):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)

    with django_capture_on_commit_callbacks(execute=True):
        fund_without_stripe(campaign, budget_cents=5_000)
        fund_without_stripe(campaign, budget_cents=5_000)  # a top-up: no second "live"

    note = the_note(campaign.advertiser, NotificationKind.CAMPAIGN_FUNDED)
    assert note.url == campaign_url(campaign)
    assert note.event_key == f"campaign:{campaign.pk}:funded"


def test_funding_an_agreed_campaign_also_tells_the_selected_promoter(django_capture_on_commit_callbacks):
    application = ApplicationFactory()
    campaign = application.campaign
    participation = services.application_accept(application=application, actor=campaign.advertiser)

    with django_capture_on_commit_callbacks(execute=True):
        fund_without_stripe(campaign)

    assert the_note(campaign.advertiser, NotificationKind.CAMPAIGN_FUNDED).url == campaign_url(campaign)
    assert the_note(application.promoter, NotificationKind.CAMPAIGN_FUNDED).url == participation_url(participation)


def test_pause_for_budget_asks_for_a_top_up_and_each_new_pause_is_told(django_capture_on_commit_callbacks):
    campaign = CampaignFactory(salesman=True, active=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_pause(campaign=campaign, actor=None, code=StatusReason.BUDGET_USED_UP)
    with pytest.raises(services.InvalidTransition), django_capture_on_commit_callbacks(execute=True):
        services.campaign_pause(campaign=campaign, actor=None, code=StatusReason.BUDGET_USED_UP)

    note = the_note(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED)
    assert note.url == fund_url(campaign)
    assert "sales" in note.body.lower() and "top up" in note.body.lower()

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_resume(campaign=campaign, actor=None, code=StatusReason.BUDGET_TOPPED_UP)
        services.campaign_pause(campaign=campaign, actor=None, code=StatusReason.BUDGET_USED_UP)
    assert notes(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED).count() == 2
    assert notes(campaign.advertiser, NotificationKind.CAMPAIGN_RESUMED).count() == 1


def test_staff_suspension_is_told_but_the_advertisers_own_pause_is_not(django_capture_on_commit_callbacks):
    from accounts.tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    campaign = CampaignFactory(active=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_pause(campaign=campaign, actor=campaign.advertiser, reason="")
        services.campaign_resume(campaign=campaign, actor=campaign.advertiser)
    assert not Notification.objects.exists() and mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_pause(campaign=campaign, actor=staff, reason=services.STAFF_SUSPENSION_REASON)
    note = the_note(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED)
    assert note.url == campaign_url(campaign) and "staff" in note.title


def test_visibility_paused_at_its_cap_is_not_told_paused(django_capture_on_commit_callbacks):
    """Its last view's spend pauses it, and completing it follows: only the completion is told."""
    campaign = CampaignFactory(active=True, max_views=4, paid_views=4)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_pause(campaign=campaign, actor=None, code=StatusReason.BUDGET_USED_UP)

    assert not Notification.objects.exists()


def test_completion_by_the_system_is_told_once(django_capture_on_commit_callbacks):
    campaign = CampaignFactory(active=True, max_views=4)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_complete(campaign=campaign, actor=None, code=StatusReason.VIEW_CAP_REACHED)
    with pytest.raises(services.InvalidTransition), django_capture_on_commit_callbacks(execute=True):
        services.campaign_complete(campaign=campaign, actor=None, code=StatusReason.VIEW_CAP_REACHED)

    note = the_note(campaign.advertiser, NotificationKind.CAMPAIGN_COMPLETED)
    assert note.url == campaign_url(campaign) and "reached its 4 views" in note.title
    assert note.event_key == f"campaign:{campaign.pk}:completed"


def test_completing_ones_own_campaign_is_not_told(django_capture_on_commit_callbacks):
    campaign = CampaignFactory(active=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_complete(campaign=campaign, actor=campaign.advertiser)

    assert not notes(campaign.advertiser, NotificationKind.CAMPAIGN_COMPLETED).exists()


# --- Rolled back: nothing stored, nothing sent ----------------------------------------------


def _receive(promoter):
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)
    return lambda: services.application_create(campaign=campaign, promoter=promoter, amount_cents=20_000, pitch="Hi")


def _counter(promoter):
    application = ApplicationFactory()
    return lambda: services.application_counter(
        application=application, actor=application.campaign.advertiser, amount_cents=15_000
    )


def _accept(promoter):
    application = ApplicationFactory()
    return lambda: services.application_accept(application=application, actor=application.campaign.advertiser)


def _reject(promoter):
    application = ApplicationFactory()
    return lambda: services.application_reject(
        application=application, actor=application.campaign.advertiser, code="fit"
    )


def _submit(promoter):
    deliverable = DeliverableFactory()
    return lambda: services.work_submit(
        deliverable=deliverable, actor=deliverable.promoter_campaign.promoter, text="Done"
    )


def _approve(promoter):
    work = WorkFactory()
    return lambda: services.work_approve(work=work, actor=None)


def _revise(promoter):
    work = WorkFactory()
    return lambda: services.work_request_revision(work=work, actor=None, code="quality", note="Again")


def _pause(promoter):
    campaign = CampaignFactory(salesman=True, active=True)
    return lambda: services.campaign_pause(campaign=campaign, code=StatusReason.BUDGET_USED_UP)


def _complete(promoter):
    campaign = CampaignFactory(active=True)
    return lambda: services.campaign_complete(campaign=campaign, code=StatusReason.VIEW_CAP_REACHED)


@pytest.mark.parametrize("event", [_receive, _counter, _accept, _reject, _submit, _approve, _revise, _pause, _complete])
def test_a_rolled_back_event_stores_and_sends_nothing(event, promoter, django_capture_on_commit_callbacks):
    """(Funding's own transaction is durable: billing's tests roll it back from inside.)"""
    run = event(promoter)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        run()
        assert Notification.objects.exists()  # it was written, inside the transaction
        raise RuntimeError("something later in the same transaction failed")

    assert not Notification.objects.exists()
    assert mail.outbox == []
