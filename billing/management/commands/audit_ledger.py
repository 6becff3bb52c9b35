from django.core.management.base import BaseCommand, CommandError

from billing.audit import ledger_audit


class Command(BaseCommand):
    help = "Check that every ledger transaction balances and every cached money figure agrees with the ledger."

    def handle(self, *args, **options):
        report = ledger_audit()
        self.stdout.write(f"{report.transactions} transactions across {report.accounts} accounts checked.")
        if report.clean:
            self.stdout.write(self.style.SUCCESS("Ledger is clean: books balance and every cached figure agrees."))
            return
        for difference in report.differences:
            self.stderr.write(f"  - {difference}")
        raise CommandError(f"{len(report.differences)} difference(s) found.")
