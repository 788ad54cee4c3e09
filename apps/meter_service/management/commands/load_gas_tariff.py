"""Load a published gas tariff file (Jalali dates, one row per block) for a tariff group."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.doctype.gas_tariff.models import PricingMethod
from apps.meter_service.doctype.gas_tariff.services import gas_tariff_load_csv
from apps.meter_service.doctype.subscriber.models import TariffGroup


class Command(BaseCommand):
    help = (
        "Create the gas tariff tables of a CSV file (e.g. fixtures/gas_tariff_household_1397.csv)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file.")
        parser.add_argument("--group", default=TariffGroup.HOUSEHOLD, choices=TariffGroup.values)
        parser.add_argument(
            "--method",
            default=PricingMethod.SLAB,
            choices=PricingMethod.values,
            help="How a month's volume is priced when the file has no pricing_method column.",
        )
        parser.add_argument("--name", default="", help="Prefix of every table's name.")

    def handle(self, *args, path, group, method, name, **options):

        try:
            tariffs = gas_tariff_load_csv(
                path, tariff_group=group, pricing_method=method, name=name
            )
        except (OSError, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError(" ".join(messages)) from error
        for tariff in tariffs:
            self.stdout.write(f"{tariff.pk}: {tariff.name} ({tariff.blocks.count()} blocks)")
