import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns import services, tasks
from campaigns.models import CampaignDeliverable, CampaignWork
from campaigns.tests.factories import DeliverableFactory, PromoterCampaignFactory, WorkFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"x" * 100


def test_milestones_stay_within_the_agreed_amount():
    participation = PromoterCampaignFactory(selected=True)  # agreed $300.00
    advertiser = participation.campaign.advertiser
    create = lambda amount: services.deliverable_create(  # noqa: E731
        promoter_campaign=participation, actor=advertiser, title="M", description="", amount_cents=amount
    )
    create(20_000)
    create(10_000)
    with pytest.raises(services.BudgetExceeded, match=r"\$0.00 is left"):
        create(1)
    CampaignDeliverable.objects.filter(amount=10_000).update(status="rejected")  # rejected frees its amount
    create(10_000)
    assert CampaignDeliverable.objects.count() == 3


def test_milestones_need_an_agreed_amount():
    participation = PromoterCampaignFactory()  # a Visibility participant
    with pytest.raises(services.CampaignError):
        services.deliverable_create(
            promoter_campaign=participation,
            actor=participation.campaign.advertiser,
            title="M",
            description="",
            amount_cents=100,
        )


def test_promoter_submits_a_file_stored_privately(client, private_media):
    deliverable = DeliverableFactory()
    client.force_login(deliverable.promoter_campaign.promoter)
    upload = SimpleUploadedFile("Report final.pdf", PDF, content_type="text/html")
    response = client.post(
        reverse("campaigns:work_submit", args=[deliverable.public_id]),
        {"text": "Done", "link": "https://example.com/video", "file": upload},
    )
    assert response.status_code == 302
    work = CampaignWork.objects.get()
    assert work.original_filename == "Report final.pdf"
    assert work.file.name.endswith(".pdf") and "Report" not in work.file.name
    assert (private_media / work.file.name).read_bytes() == PDF
    assert work.status == "submitted"
    assert work.auto_approve_after == work.submitted_at + datetime.timedelta(days=14)
    deliverable.refresh_from_db()
    assert deliverable.status == "submitted"

    page = client.get(reverse("campaigns:participation_detail", args=[deliverable.promoter_campaign.public_id]))
    assert f"approved automatically on {work.auto_approve_after:%b} " in page.text


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.png", b"\x89PNG\r\n\x1a\n...."),
        ("a.JPG", b"\xff\xd8\xff\xe0...."),
        ("a.gif", b"GIF89a...."),
        ("a.mp4", b"\x00\x00\x00\x18ftypmp42"),
        ("a.mov", b"\x00\x00\x00\x14ftypqt  "),
        ("a.zip", b"PK\x03\x04...."),
        ("a.docx", b"PK\x03\x04...."),
        ("a.txt", "caf\u00e9 notes".encode()),
    ],
)
def test_every_allowed_file_type_is_accepted(client, name, content):
    deliverable = DeliverableFactory()
    client.force_login(deliverable.promoter_campaign.promoter)
    response = client.post(
        reverse("campaigns:work_submit", args=[deliverable.public_id]), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302
    assert CampaignWork.objects.count() == 1


def test_work_cannot_be_submitted_while_the_campaign_is_not_active(client):
    deliverable = DeliverableFactory(promoter_campaign__campaign__status="awaiting_funding")
    client.force_login(deliverable.promoter_campaign.promoter)
    response = client.post(reverse("campaigns:work_submit", args=[deliverable.public_id]), {"text": "Done"})
    assert response.status_code == 200
    assert "Work can be submitted while the campaign is active" in response.text
    assert not CampaignWork.objects.exists()


def test_approval_is_idempotent():
    work = WorkFactory()
    advertiser = work.deliverable.promoter_campaign.campaign.advertiser
    assert services.work_approve(work=work, actor=advertiser) is True
    assert services.work_approve(work=work, actor=advertiser) is False
    work.refresh_from_db()
    assert (work.status, work.reviewed_by, work.auto_approved) == ("approved", advertiser, False)
    assert CampaignDeliverable.objects.get().status == "approved"


def test_stale_copy_approving_again_does_nothing():
    work = WorkFactory()
    stale = CampaignWork.objects.get(pk=work.pk)
    advertiser = work.deliverable.promoter_campaign.campaign.advertiser
    services.work_approve(work=work, actor=advertiser)
    assert services.work_approve(work=stale, actor=None) is False
    assert CampaignWork.objects.get(pk=work.pk).auto_approved is False


def test_revision_then_resubmission_then_approval(client):
    work = WorkFactory()
    deliverable = work.deliverable
    advertiser = deliverable.promoter_campaign.campaign.advertiser
    client.force_login(advertiser)
    client.post(
        reverse("campaigns:work_review", args=[work.public_id, "revise"]),
        {"reason_code": "format", "note": "Shorter please"},
    )
    work.refresh_from_db()
    deliverable.refresh_from_db()
    assert (work.status, work.review_reason_code, work.review_comment, deliverable.status) == (
        "revision_requested",
        "format",
        "Shorter please",
        "revision_requested",
    )
    with pytest.raises(services.InvalidTransition):
        services.work_approve(work=work, actor=advertiser)

    second = services.work_submit(deliverable=deliverable, actor=deliverable.promoter_campaign.promoter, text="v2")
    response = client.post(reverse("campaigns:work_review", args=[second.public_id, "approve"]), follow=True)
    assert "Work approved." in response.text
    response = client.post(reverse("campaigns:work_review", args=[second.public_id, "approve"]), follow=True)
    assert "already approved" in response.text
    deliverable.refresh_from_db()
    assert deliverable.status == "approved"


def test_rejection_needs_a_reason_code_and_the_note_is_optional():
    work = WorkFactory()
    advertiser = work.deliverable.promoter_campaign.campaign.advertiser
    for code, note in [("", "Off brief"), ("off_brief", ""), ("other", " ")]:
        with pytest.raises(services.CampaignError):
            services.work_reject(work=work, actor=advertiser, code=code, note=note)
    assert CampaignWork.objects.get().status == "submitted"
    services.work_reject(work=work, actor=advertiser, code="brief")
    work.refresh_from_db()
    assert (work.status, work.review_reason_code, work.review_comment) == ("rejected", "brief", "")
    assert CampaignDeliverable.objects.get().status == "rejected"


def test_a_revision_request_needs_a_note_saying_what_to_change():
    work = WorkFactory()
    advertiser = work.deliverable.promoter_campaign.campaign.advertiser
    with pytest.raises(services.CampaignError, match="what to change"):
        services.work_request_revision(work=work, actor=advertiser, code="quality", note="")
    assert CampaignWork.objects.get().status == "submitted"


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("reject", {"note": "Off brief"}, "Choose a reason."),
        ("reject", {"reason_code": "off_brief"}, "Choose a reason from the list."),
        ("reject", {"reason_code": "other", "note": " "}, "You chose “Other”"),
        ("revise", {"reason_code": "quality"}, "Add a note so the promoter knows what to change."),
    ],
)
def test_review_page_refuses_a_bad_reason_and_changes_nothing(client, action, data, message):
    work = WorkFactory()
    client.force_login(work.deliverable.promoter_campaign.campaign.advertiser)
    response = client.post(reverse("campaigns:work_review", args=[work.public_id, action]), data, follow=True)
    assert response.status_code == 200 and message in response.text
    work.refresh_from_db()
    assert (work.status, work.review_reason_code, work.review_comment) == ("submitted", "", "")
    assert CampaignDeliverable.objects.get().status != "rejected"


def test_review_page_rejects_with_the_picked_reason_and_shows_its_label(client):
    work = WorkFactory()
    participation = work.deliverable.promoter_campaign
    client.force_login(participation.campaign.advertiser)
    page = client.get(reverse("campaigns:participation_detail", args=[participation.public_id])).text
    assert f'<label for="id_review_{work.pk}_reason_code">Reason' in page
    assert '<option value="access">The link or file does not open</option>' in page

    response = client.post(
        reverse("campaigns:work_review", args=[work.public_id, "reject"]),
        {"reason_code": "access", "note": "The link asks for a login"},
        follow=True,
    )
    assert "Work rejected." in response.text
    work.refresh_from_db()
    assert (work.status, work.review_reason_code, work.review_comment) == (
        "rejected",
        "access",
        "The link asks for a login",
    )
    client.force_login(participation.promoter)
    page = client.get(reverse("campaigns:participation_detail", args=[participation.public_id])).text
    assert "The link or file does not open: The link asks for a login" in page


def test_overdue_work_is_auto_approved_once_by_the_task():
    overdue = WorkFactory(overdue=True)
    fresh = WorkFactory()
    assert tasks.auto_approve_overdue_work() == 1
    assert tasks.auto_approve_overdue_work() == 0  # safe to run twice
    overdue.refresh_from_db()
    fresh.refresh_from_db()
    assert (overdue.status, overdue.auto_approved, overdue.reviewed_by) == ("approved", True, None)
    assert fresh.status == "submitted"


def test_auto_approve_respects_the_stored_date(settings):
    work = WorkFactory()
    later = timezone.now() + datetime.timedelta(days=14, minutes=1)
    assert services.works_auto_approve_overdue(now=later) == 1
    work.refresh_from_db()
    assert work.status == "approved"


def test_hourly_schedule_is_registered():
    from django_q.models import Schedule

    from campaignplatform.schedules import SCHEDULES

    entry = next(s for s in SCHEDULES if s["name"] == "campaigns.auto_approve_overdue_work")
    assert entry["func"] == "campaigns.tasks.auto_approve_overdue_work"
    assert entry["schedule_type"] == Schedule.HOURLY


def test_oversized_request_body_is_refused_before_parsing(client):
    deliverable = DeliverableFactory()
    client.force_login(deliverable.promoter_campaign.promoter)
    response = client.post(
        reverse("campaigns:work_submit", args=[deliverable.public_id]),
        {"text": "x"},
        CONTENT_LENGTH=str(11 * 1024 * 1024),
    )
    assert response.status_code == 200
    assert "The upload is too large" in response.text
    assert not CampaignWork.objects.exists()


@pytest.mark.parametrize("length", ["abc", "1e3", "-5"])
def test_a_content_length_that_is_not_a_number_is_answered_400(client, length):
    deliverable = DeliverableFactory()
    client.force_login(deliverable.promoter_campaign.promoter)
    response = client.post(
        reverse("campaigns:work_submit", args=[deliverable.public_id]), {"text": "x"}, CONTENT_LENGTH=length
    )
    assert response.status_code == 400
    assert "Content-Length" in response.text
    assert not CampaignWork.objects.exists()


def test_approving_work_the_budget_cannot_pay_says_so_and_changes_nothing(client):
    """A cancelled campaign whose budget was returned (issue 15 decides when that may happen):
    approving is refused with a message, never a server error, and the work stays submitted."""
    from billing.models import Transaction

    participation = PromoterCampaignFactory(selected=True, funded=False)
    participation.campaign.status = "cancelled"
    participation.campaign.save(update_fields=["status"])
    work = WorkFactory(deliverable__promoter_campaign=participation)
    client.force_login(participation.campaign.advertiser)

    response = client.post(reverse("campaigns:work_review", args=[work.public_id, "approve"]), follow=True)

    assert response.status_code == 200
    assert "budget cannot pay for this work" in response.text
    work.refresh_from_db()
    assert work.status == "submitted" and work.deliverable.status == "submitted"
    assert not Transaction.objects.exists()
