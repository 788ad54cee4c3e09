"""Error codes of fee tariff documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class FeeTariffErrorCode(StrEnum):
    """Why a fee tariff action or check was refused."""

    NO_TARIFF = "no_tariff"
    TARIFF_OVERLAP = "tariff_overlap"
