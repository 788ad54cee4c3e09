"""Error codes of gas tariff documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class GasTariffErrorCode(StrEnum):
    """Why a gas tariff action or check was refused."""

    BLOCK_PRICE = "block_price"
    BLOCK_RANGE = "block_range"
    BLOCKS_FIRST_NOT_ZERO = "blocks_first_not_zero"
    BLOCKS_LAST_CLOSED = "blocks_last_closed"
    BLOCKS_NOT_CONTIGUOUS = "blocks_not_contiguous"
    BLOCKS_OPEN_NOT_LAST = "blocks_open_not_last"
    GAS_TARIFF_CSV_COLUMNS = "gas_tariff_csv_columns"
    GAS_TARIFF_CSV_ROW = "gas_tariff_csv_row"
    GAS_TARIFF_OVERLAP = "gas_tariff_overlap"
    NO_BLOCKS = "no_blocks"
