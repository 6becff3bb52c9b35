from django.core.management.base import BaseCommand, CommandError

from payouts import services


class Command(BaseCommand):
    help = "Close a month (YYYY-MM): release pending earnings, write statements, run the payouts. Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument("period", help="YYYY-MM, a month that has ended")
        parser.add_argument("--run-only", action="store_true", help="Only (re)run the payouts of that month.")

    def handle(self, *args, period, run_only=False, **options):
        try:
            month = services.parse_period(period)
            if run_only:
                run = services.payout_run(period=month)
            else:
                report = services.period_close(period=month)
                run = report.run
                self.stdout.write(
                    f"Deducted {report.deductions_cents} cents for {report.deductions_applied} refunded sales; "
                    f"released {report.released_cents} cents to {report.released_promoters} promoters; "
                    f"{report.summaries} statements written."
                )
        except services.PayoutError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Payout run {month:%Y-%m}: {run.records_created} new records, {run.paid} paid "
            f"({run.paid_cents} cents), {run.failed} failed."
        )
        for reason, count in run.skipped.items():
            if count:
                self.stdout.write(f"Skipped ({reason}): {count}")
