"""The demo's story: who does what, and when, over the last `DAYS` days."""

from __future__ import annotations

import itertools
import logging

from campaigns.models import CampaignType
from demo import matching as demo_matching
from demo.timeline import Later

logger = logging.getLogger(__name__)

VISIBILITY, CONSULTANT = CampaignType.VISIBILITY, CampaignType.CONSULTANT
SELLER, SALESMAN = CampaignType.SELLER, CampaignType.SALESMAN


class Story:
    """History's story, mixed into `History`: steps scheduled with `self.at(days_ago, hour)`."""

    def at(self, days_ago: int, hour: int, minute: int = 0) -> Later:
        """`self.at(58, 9).publish("shoes")`: publish 58 days ago at 09:00 (today: just before now)."""
        return Later(self, self.moment(days_ago, hour, minute))

    def _launch(self, days_ago: int, key: str, *campaign, fund: bool | dict = False, **terms) -> None:
        """Create a campaign at 09:00 and publish it at 10:00, as most of the story's campaigns start;
        with `fund`, fund it at 11:00 too (a dict: `fund`'s options, e.g. `{"page": True}`)."""
        self.at(days_ago, 9).campaign(key, *campaign, **terms)
        self.at(days_ago, 10).publish(key)
        if fund:
            self.at(days_ago, 11).fund(key, **(fund if isinstance(fund, dict) else {}))

    def _story(self) -> None:
        at = self.at
        at(60, 8)._people()
        at(60, 9).card_add("acme")
        at(60, 10).api_key("acme", "Shop backend")
        at(57, 8).onboard("pat")
        at(55, 8).onboard("riley")
        at(55, 9).onboard("sam")
        at(49, 8).onboard("jo")
        at(45, 8).onboard("alex", finish=False)  # started, never finished: "onboarding incomplete"
        at(40, 8).onboard("morgan")
        self._acme_visibility()
        self._acme_applications()
        self._acme_sales()
        self._northwind_campaigns()
        self._push(self.moment(1, 12), "matching", lambda: demo_matching.build(self.people))

    def _acme_visibility(self) -> None:
        self._campaign_shoes()
        self._campaign_tents()
        self._campaign_jackets()
        self._campaign_headlamps()
        self._campaign_kayaks()
        self._campaign_cleanup()

    def _campaign_shoes(self) -> None:
        at = self.at
        # Active since the start and topped up once, at the seed's rate ($3 per 100 views).
        self._launch(
            58, "shoes", "acme", VISIBILITY, "Trail Running Shoes Launch", cpv=300, max_views=1_500, days=120,
            description="Our new Ridgeline trail shoe is out. Share your honest first run in them.",
            url="https://acme-outdoor.example/ridgeline?utm_source=promoters", category="sports-outdoors",
            languages=["en", "es"], requirements="Link in the first line of the description; no paid traffic.",
            fund=True,
        )  # fmt: skip
        at(57, 12).join("shoes", "pat", reach=(10, 28))
        at(55, 12).join("shoes", "riley", reach=(5, 14))
        at(50, 12).join("shoes", "jo", reach=(1, 2))
        at(45, 12).join("shoes", "alex", reach=(6, 12))
        at(20, 18, 30).burst("shoes", "pat")  # one address hammering the link: rate limited
        at(16, 9).fund("shoes", views=3_000)  # top-up

    def _campaign_tents(self) -> None:
        at = self.at
        # The seed's example: $3 per 100 views x 2,000 views = $60, until the cap completes it.
        self._launch(
            52, "tents", "acme", VISIBILITY, "Summer Tent Sale", cpv=300, max_views=2_000, days=45, fund={"page": True},
            description="Two-person tents at 30% off while stock lasts.",
            url="https://acme-outdoor.example/sale/tents", category="sports-outdoors",
        )  # fmt: skip
        at(51, 12).join("tents", "pat", reach=(85, 95))
        at(51, 13).join("tents", "riley", reach=(60, 70))
        at(50, 12).join("tents", "alex", reach=(25, 30))

    def _campaign_jackets(self) -> None:
        at = self.at
        self._launch(
            34, "jackets", "acme", VISIBILITY, "Winter Jacket Teaser", cpv=250, max_views=6_000, days=60, fund=True,
            description="A first look at the Summit down jacket before it ships.",
            url="https://acme-outdoor.example/summit",
        )  # fmt: skip
        at(33, 12).join("jackets", "pat", reach=(8, 12))
        at(32, 12).join("jackets", "riley", reach=(4, 6))
        at(22, 15).cancel("jackets", "The Summit jacket launch moved to spring; we will run a new campaign then.")

    def _campaign_headlamps(self) -> None:
        at = self.at
        self._launch(
            26, "headlamps", "acme", VISIBILITY, "Headlamp Night Hikes", cpv=400, max_views=5_000, days=90, fund=True,
            description="Show the Lumen 400 headlamp on a night hike.", url="https://acme-outdoor.example/lumen-400",
        )  # fmt: skip
        at(25, 12).join("headlamps", "pat", reach=(8, 15))
        at(24, 12).join("headlamps", "jo", reach=(1, 1))
        at(4, 10).pause("headlamps", "Pausing over the holidays while the Lumen 400 is restocked.")

    def _campaign_kayaks(self) -> None:
        # Published, not funded yet.
        self._launch(
            3, "kayaks", "acme", VISIBILITY, "Kayak Season Preview", cpv=350, max_views=4_000, days=90,
            description="Early looks at next season's touring kayaks.", url="https://acme-outdoor.example/kayaks",
        )  # fmt: skip

    def _campaign_cleanup(self) -> None:
        at = self.at
        at(1, 16).campaign(
            "cleanup", "acme", VISIBILITY, "Spring Trail Cleanup Day", cpv=200, max_views=3_000, days=150,
            description="Invite your audience to our trail cleanup days in April.",
            url="https://acme-outdoor.example/cleanup",
        )  # fmt: skip

    def _acme_applications(self) -> None:
        self._campaign_reviews()
        self._campaign_workshops()
        self._campaign_ambassador()
        self._campaign_catalog()
        self._campaign_maps()
        self._campaign_giftguide()

    def _campaign_reviews(self) -> None:
        at = self.at
        # Consultant, active: three review videos; one paid, one sent back, one waiting for review.
        self._launch(
            48, "reviews", "acme", CONSULTANT, "Gear Review Video Series", budget=(80_000, 200_000), days=75,
            description="Three in-depth review videos of our best sellers, filmed on real trails.",
            url="https://acme-outdoor.example", category="sports-outdoors",
            deliverables="Three 8-12 minute videos, published on your channel, with a link to the product.",
            timeline="6 weeks, one video every two weeks",
        )  # fmt: skip
        at(47, 11).apply("reviews", "pat", 150_000, "I review gear every week for 48k subscribers; I'd film all "
                         "three on the Colorado Trail with long-term follow-ups.")  # fmt: skip
        at(47, 15).apply("reviews", "riley", 110_000, "A trail runner's angle: 100 miles on the shoes first.")
        at(46, 10).counter("reviews", "pat", "acme", 120_000, "We love the plan. Could you do the three for $1,200?")
        at(45, 9).accept("reviews", "pat", by="pat")
        at(45, 11).fund("reviews")
        at(45, 12).milestone("reviews", "pat", "video1", "Video 1: four-season tent review", 40_000)
        at(45, 12).milestone("reviews", "pat", "video2", "Video 2: 40 L backpack review", 40_000)
        at(45, 12).milestone("reviews", "pat", "video3", "Video 3: trail shoe 100-mile test", 40_000)
        at(38, 16).submit("video1", "Filmed over two nights at 11,000 ft.", "https://video.example/pat/tent-review")
        at(36, 10).approve("video1")  # paid at once to Pat's Connect account
        at(14, 17).submit("video3", "First cut after 50 miles.", "https://video.example/pat/ridgeline-50")
        at(12, 11).revise(
            "video3", "incomplete", "Great footage! Please show the tread after the full 100 miles, as agreed."
        )
        at(2, 18).submit("video2", "Backpack review with a 20 kg load test.", "https://video.example/pat/pack-40")

    def _campaign_workshops(self) -> None:
        at = self.at
        # Consultant, awaiting funding: a counter-offer waits for Pat, Riley's offer waits for Acme.
        self._launch(
            10, "workshops", "acme", CONSULTANT, "Trail Safety Workshop Series", budget=(50_000, 120_000), days=120,
            description="Host three evening workshops in our Denver store: navigation, layering, first aid.",
            url="https://acme-outdoor.example/workshops",
            deliverables="Three 90-minute in-store workshops with slides and a handout.",
            timeline="January to March, one a month",
        )  # fmt: skip
        at(8, 14).apply("workshops", "pat", 95_000, "I teach a navigation course twice a year and live in Denver.")
        at(7, 10).apply("workshops", "riley", 70_000, "I can run the layering session with a live demo.")
        at(6, 15).counter("workshops", "pat", "acme", 75_000, "Could you do all three for $750? Room and snacks on us.")

    def _campaign_ambassador(self) -> None:
        at = self.at
        at(3, 11).campaign(
            "ambassador", "acme", CONSULTANT, "Brand Ambassador Program 2027", budget=(300_000, 600_000), days=365,
            description="A year-long ambassador role: monthly content and two events.",
            url="https://acme-outdoor.example/ambassadors",
            deliverables="12 monthly posts, two event appearances.", timeline="12 months",
        )  # fmt: skip

    def _campaign_catalog(self) -> None:
        at = self.at
        # Seller, completed: photos delivered (one revision), then ended; the unplanned rest refunded.
        self._launch(
            56, "catalog", "acme", SELLER, "Autumn Catalog Product Photos", budget=(30_000, 60_000), days=40,
            description="Product photos for the autumn catalog and web shop.",
            url="https://acme-outdoor.example/catalog",
            deliverables="20 studio photos on white, 6 lifestyle photos outdoors, full rights.", timeline="3 weeks",
        )  # fmt: skip
        at(55, 11).apply("catalog", "sam", 45_000, "Product photography is my day job; portfolio linked.")
        at(55, 14).apply("catalog", "pat", 52_000, "I shoot all my gear reviews myself and know your range well.")
        at(54, 10).accept("catalog", "sam", by="acme")
        at(54, 11).fund("catalog")
        at(54, 12).milestone("catalog", "sam", "studio", "20 studio product photos", 25_000)
        at(54, 12).milestone("catalog", "sam", "lifestyle", "6 lifestyle photos on the trail", 15_000)
        at(48, 17).submit("studio", "20 photos, 6000 px, TIFF and JPEG.", "https://files.example/sam/acme-studio")
        at(46, 10).approve("studio")
        at(42, 17).submit("lifestyle", "6 photos from the Maroon Bells trail.", "https://files.example/sam/acme-trail")
        at(41, 9).revise("lifestyle", "brief", "Lovely set. Could one of them be at golden hour?")
        at(39, 18).submit("lifestyle", "Photo 4 is now a golden-hour shot.", "https://files.example/sam/acme-trail-2")
        at(38, 10).approve("lifestyle")
        at(37, 11).end("catalog", "All photos delivered.")

    def _campaign_maps(self) -> None:
        at = self.at
        # Seller, active: the maps wait for review.
        self._launch(
            21, "maps", "acme", SELLER, "Trail Map Illustrations", budget=(40_000, 90_000), days=60,
            description="Illustrated maps of three state parks for our store walls and web shop.",
            url="https://acme-outdoor.example/maps",
            deliverables="Three print-ready illustrated maps (PDF, A1).", timeline="3 weeks",
        )  # fmt: skip
        at(20, 11).apply("maps", "sam", 60_000, "Hand-drawn, then vectorised; three sketches before the final art.")
        at(19, 10).accept("maps", "sam", by="acme")
        at(19, 11).fund("maps")
        at(19, 12).milestone("maps", "sam", "parkmaps", "Three park maps, print-ready", 60_000)
        at(3, 16).submit("parkmaps", "Final art for all three parks.", "https://files.example/sam/acme-maps")

    def _campaign_giftguide(self) -> None:
        at = self.at
        at(2, 11).campaign(
            "giftguide", "acme", SELLER, "Gift Guide Photo Set", budget=(20_000, 40_000), days=30,
            description="Flat-lay photos of 12 gift ideas for the holiday guide.",
            url="https://acme-outdoor.example/gifts", deliverables="12 flat-lay photos.", timeline="1 week",
        )  # fmt: skip

    def _acme_sales(self) -> None:
        self._campaign_packs()
        self._campaign_coupon()
        self._campaign_stoves()

    def _campaign_packs(self) -> None:
        at = self.at
        self._launch(
            57, "packs", "acme", SALESMAN, "Backpack Referral Program", commission="12.50", tracking="referral_link",
            description="12.5% on every backpack sold through your referral link.",
            url="https://acme-outdoor.example/packs", days=180,
            fund={"budget": 75_000},
        )  # fmt: skip
        at(56, 12).join("packs", "pat")
        at(54, 12).join("packs", "riley")
        at(40, 12).join("packs", "jo")
        # A sale on about half the days; each gets the fate sales have.
        prices = [8_999, 12_999, 15_999, 21_999, 6_499, 24_999, 18_999]
        numbers = itertools.count(10_231)
        special = {}
        for days_ago in range(55, 0, -1):
            if self.rng.random() > 0.45 and days_ago > 3:  # the last days' sales wait for Acme
                continue
            # Riley joined two days after Pat; Jo's blog sells none.
            promoter = self.rng.choice(["pat", "pat", "pat"] + (["riley", "riley"] if days_ago < 54 else []))
            order = f"ACME-{next(numbers)}"
            at(days_ago, self.rng.randint(9, 20)).sale("packs", promoter, order, self.rng.choice(prices))
            if 20 <= days_ago < 30 and "rejected" not in special:
                special["rejected"] = order
                at(days_ago - 1, 10).reject("packs", order, "order_cancelled", "Cancelled before shipping.")
            elif 10 <= days_ago < 20 and "refunded pending" not in special:
                special["refunded pending"] = order
                at(days_ago - 2, 10).refund_sale("packs", order, "Customer returned the pack unopened.")
            elif 6 <= days_ago < 12 and "refunded verified" not in special:
                # Verified and refunded the same day: the commission is still pending, so it is
                # reversed (after the monthly release it would become a deduction instead).
                special["refunded verified"] = order
                at(days_ago - 1, 10).verify("packs", order)
                at(days_ago - 1, 16).refund_sale("packs", order, "Customer returned the pack (wrong size).")
            elif days_ago >= 34 and self.rng.random() < 0.4:
                pass  # never reviewed: the schedule verifies it after SALE_AUTO_VERIFY_DAYS
            elif days_ago >= 5:
                at(days_ago - self.rng.randint(1, 3), 9).verify("packs", order)
            # else: recent, still waiting for Acme
        # Verified this morning: this month's commission is waiting in Pat's wallet, whatever the day.
        order = f"ACME-{next(numbers)}"
        at(2, 16).sale("packs", "pat", order, 21_999)
        at(0, 9).verify("packs", order)

    def _campaign_coupon(self) -> None:
        at = self.at
        # Paused for budget: $20 of budget pays the first commission; the second waits for a top-up.
        self._launch(
            30, "coupon", "acme", SALESMAN, "Trail Shoe Coupon", commission="15.00", tracking="coupon_code", days=90,
            description="15% on every pair sold with your coupon code.", url="https://acme-outdoor.example/ridgeline",
            fund={"budget": 2_000},
        )  # fmt: skip
        at(29, 12).join("coupon", "pat")
        at(25, 14).sale("coupon", "pat", "ACME-C-501", 8_000)
        at(23, 10).verify("coupon", "ACME-C-501")
        at(15, 14).sale("coupon", "pat", "ACME-C-502", 6_000)
        at(13, 10).verify("coupon", "ACME-C-502")  # $9 commission, $8 left: awaiting budget, paused

    def _campaign_stoves(self) -> None:
        # Published, not funded yet.
        self._launch(
            2, "stoves", "acme", SALESMAN, "Camp Stove Referral", commission="10.00", tracking="both", days=120,
            description="10% on every camp stove sold through your link.", url="https://acme-outdoor.example/stoves",
        )  # fmt: skip

    def _northwind_campaigns(self) -> None:
        self._campaign_coldbrew()
        self._campaign_socials()
        self._campaign_latte()
        self._campaign_popup()
        self._campaign_bags()
        self._campaign_labels()
        self._campaign_menu()
        self._campaign_espresso()
        self._campaign_club()
        self._campaign_subscription()

    def _campaign_coldbrew(self) -> None:
        at = self.at
        self._launch(
            44, "coldbrew", "northwind", VISIBILITY, "Cold Brew Summer", cpv=200, max_views=3_000, days=120,
            description="Our cold brew concentrate, in your summer routine.",
            url="https://northwind-coffee.example/cold-brew", category="food-drink",
            fund={"page": True},
        )  # fmt: skip
        at(43, 12).join("coldbrew", "riley", reach=(6, 10))
        at(42, 12).join("coldbrew", "alex", reach=(4, 8))
        at(41, 12).join("coldbrew", "jo", reach=(1, 1))
        at(30, 12).join("coldbrew", "pat", reach=(4, 8))

    def _campaign_socials(self) -> None:
        at = self.at
        # Consultant, paused mid-project with month 2 waiting for review.
        self._launch(
            41, "socials", "northwind", CONSULTANT, "Cafe Social Media Management", budget=(60_000, 150_000), days=90,
            description="Run our Instagram for two months: calendar, posts, replies.",
            url="https://northwind-coffee.example", category="food-drink",
            deliverables="A monthly content calendar and 12 posts a month.", timeline="2 months",
        )  # fmt: skip
        at(40, 11).apply("socials", "morgan", 100_000, "I ran socials for three Seattle cafes: engagement up 40%.")
        at(39, 10).accept("socials", "morgan", by="northwind")
        at(39, 11).fund("socials", page=True)
        at(39, 12).milestone("socials", "morgan", "month1", "Month 1 content calendar and posts", 50_000)
        at(39, 12).milestone("socials", "morgan", "month2", "Month 2 content calendar and posts", 50_000)
        at(33, 17).submit("month1", "Calendar and 12 posts scheduled.", "https://docs.example/morgan/northwind-m1")
        at(31, 10).approve("month1")
        at(12, 17).submit("month2", "Calendar, 12 posts and two reels.", "https://docs.example/morgan/northwind-m2")
        at(10, 9).pause("socials", "On hold during the cafe renovation; back in January.")

    def _campaign_latte(self) -> None:
        at = self.at
        # Consultant, completed: the promoter accepted a counter-offer; both videos paid.
        self._launch(
            36, "latte", "northwind", CONSULTANT, "Latte Art Workshop Videos", budget=(30_000, 80_000), days=40,
            description="Two short workshop videos for our online shop's education page.",
            url="https://northwind-coffee.example/learn", category="food-drink",
            deliverables="Two 6-minute videos: hearts and rosettas.", timeline="3 weeks",
        )  # fmt: skip
        at(35, 11).apply("latte", "morgan", 60_000, "I teach latte art every Saturday; I'd film in your cafe.")
        at(34, 10).counter("latte", "morgan", "northwind", 50_000, "Our budget is $500 for both; we cover the milk!")
        at(33, 9).accept("latte", "morgan", by="morgan")
        at(33, 11).fund("latte", page=True)
        at(33, 12).milestone("latte", "morgan", "hearts", "Video 1: hearts", 25_000)
        at(33, 12).milestone("latte", "morgan", "rosettas", "Video 2: rosettas", 25_000)
        at(28, 17).submit("hearts", "Hearts, in three levels.", "https://video.example/morganpours/hearts")
        at(25, 10).approve("hearts")
        at(22, 17).submit("rosettas", "Rosettas, slow motion included.", "https://video.example/morganpours/rosettas")
        at(20, 10).approve("rosettas")
        at(18, 11).end("latte", "Both videos delivered.")

    def _campaign_popup(self) -> None:
        at = self.at
        # Consultant, cancelled before anyone was selected.
        self._launch(
            20, "popup", "northwind", CONSULTANT, "Holiday Pop-up Event Host", budget=(30_000, 60_000), days=30,
            description="Host our holiday pop-up market for one weekend.",
            url="https://northwind-coffee.example/popup", category="food-drink",
            deliverables="Two days of hosting, a short recap video.", timeline="One weekend",
        )  # fmt: skip
        at(19, 12).apply("popup", "pat", 40_000, "I've hosted two gear swaps; happy to bring the trail crowd.")
        at(15, 10).cancel("popup", "The pop-up was called off: the venue fell through.")

    def _campaign_bags(self) -> None:
        at = self.at
        # Seller, awaiting funding: Pat's and Sam's applications wait for Northwind.
        self._launch(
            6, "bags", "northwind", SELLER, "Bag Design Illustrations", budget=(25_000, 70_000), days=60,
            description="Illustrations for our new 1 kg coffee bags.",
            url="https://northwind-coffee.example/bags", category="food-drink",
            deliverables="Four illustrations, one per origin.", timeline="4 weeks",
        )  # fmt: skip
        at(5, 13).apply("bags", "pat", 45_000, "Trail sketches are my other hobby; each origin's landscape.")
        at(4, 15).apply("bags", "sam", 50_000, "Packaging art is what I do; three sketches per bag before final.")

    def _campaign_labels(self) -> None:
        at = self.at
        # Seller, paused with a revision requested.
        self._launch(
            29, "labels", "northwind", SELLER, "Coffee Bag Label Art", budget=(30_000, 60_000), days=60,
            description="Label art for four single-origin roasts.",
            url="https://northwind-coffee.example/origins", category="food-drink",
            deliverables="Four labels, print-ready.", timeline="2 weeks",
        )  # fmt: skip
        at(28, 11).apply("labels", "sam", 50_000, "Four labels with a shared system, as print-ready PDFs.")
        at(27, 10).accept("labels", "sam", by="northwind")
        at(27, 11).fund("labels", page=True)
        at(27, 12).milestone("labels", "sam", "labelset", "Label set for four roasts", 50_000)
        at(24, 17).submit("labelset", "Four labels, CMYK, with bleed.", "https://files.example/sam/northwind-labels")
        at(22, 10).revise("labelset", "guidelines", "Please use the darker roast colours from the brand guide.")
        at(8, 10).pause("labels", "Waiting for our new logo before the labels are finished.")

    def _campaign_menu(self) -> None:
        at = self.at
        # Seller, cancelled after funding: everything refunded.
        self._launch(
            37, "menu", "northwind", SELLER, "Menu Board Photos", budget=(20_000, 40_000), days=30,
            description="Photos of our drinks for the new menu boards.",
            url="https://northwind-coffee.example/menu", category="food-drink",
            deliverables="15 drink photos.", timeline="1 week",
        )  # fmt: skip
        at(36, 11).apply("menu", "sam", 30_000, "Drinks are tricky to shoot; I bring my own lights and props.")
        at(35, 10).accept("menu", "sam", by="northwind")
        at(35, 11).fund("menu", page=True)
        at(30, 10).cancel("menu", "The menu changed; we will re-shoot in spring.")

    def _campaign_espresso(self) -> None:
        at = self.at
        # Salesman, completed: ended by Northwind, the unused budget refunded.
        self._launch(
            50, "espresso", "northwind", SALESMAN, "Espresso Machine Referral", commission="8.00",
            tracking="referral_link", days=60, category="food-drink",
            description="8% on every espresso machine sold through your link.",
            url="https://northwind-coffee.example/machines",
            fund={"budget": 40_000, "page": True},
        )  # fmt: skip
        at(49, 12).join("espresso", "riley")
        at(48, 12).join("espresso", "pat")
        sales = [(47, "riley", 39_900), (44, "pat", 54_900), (40, "riley", 39_900), (35, "riley", 74_900),
                 (31, "pat", 39_900), (27, "riley", 54_900), (24, "pat", 39_900)]  # fmt: skip
        for number, (days_ago, promoter, amount) in enumerate(sales, start=7_400):
            at(days_ago, 15).sale("espresso", promoter, f"NW-{number}", amount)
            at(days_ago - 2, 10).verify("espresso", f"NW-{number}")
        at(21, 11).end("espresso", "Machine promotion over for this year.")

    def _campaign_club(self) -> None:
        at = self.at
        # Salesman, cancelled: refunded in full.
        self._launch(
            19, "club", "northwind", SALESMAN, "Coffee Club Coupon", commission="10.00", tracking="coupon_code",
            days=90, category="food-drink", description="10% on coffee club sign-ups with your code.",
            url="https://northwind-coffee.example/club",
            fund={"budget": 10_000, "page": True},
        )  # fmt: skip
        at(18, 12).join("club", "morgan")
        at(12, 10).cancel("club", "The coffee club relaunch is postponed.")

    def _campaign_subscription(self) -> None:
        at = self.at
        at(2, 14).campaign(
            "subscription", "northwind", SALESMAN, "Subscription Referral", commission="20.00",
            tracking="referral_link", days=120, category="food-drink",
            description="A month free for them, 20% of the first three months for you.",
            url="https://northwind-coffee.example/subscribe",
        )  # fmt: skip
