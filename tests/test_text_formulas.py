"""Excel's ="..." text formula, which exports use to keep references' leading zeros, is read as the text
it shows; any other formula is left as written."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pipeline.steps.checking import check_return
from tests.test_checking import assert_accounting
from transforms.periods import Period
from transforms.return_types import SPEND
from transforms.spreadsheet_safety import text_formulas_unwrapped

PERIOD = Period.parse("2025-26-Q2")


def test_references_keep_their_zeros_and_amounts_read() -> None:
    rows = [f'14/08/2025,Acme {i} Ltd,"=""{100 + i}.50""",="{i:06d}"' for i in range(30)]
    rows.append('15/08/2025,"=""Smith """"Jr"""" Ltd""",50,=A1+B1')
    data = ("Payment Date,Supplier Name,Amount,Transaction ID\n" + "\n".join(rows) + "\n").encode()
    result = check_return(data, "spend.csv", SPEND, PERIOD)
    assert_accounting(result)
    assert result.status == "accepted" and result.rows_rejected == 0
    assert result.accepted.loc[2, ["amount_gbp", "transaction_id"]].tolist() == [100.5, "000000"]
    assert result.accepted.loc[32, "supplier_name"] == 'Smith "Jr" Ltd'
    assert result.accepted.loc[32, "transaction_id"] == "=A1+B1"  # not a text formula: as written


@given(st.lists(st.one_of(st.none(), st.text(alphabet='="ab0 ', max_size=8)), min_size=1, max_size=20))
def test_each_cell_is_the_text_excel_shows(cells: list[str | None]) -> None:
    def shown(cell: str | None) -> str | None:
        if cell is None or not (len(cell) >= 3 and cell.startswith('="') and cell.endswith('"')):
            return cell
        inner = cell[2:-1]
        # quotes inside come in pairs; a lone one means this is not Excel's text formula
        return inner.replace('""', '"') if not inner.replace('""', "").count('"') else cell

    frame = pd.DataFrame({"transaction_id": cells, "category": "x"}, dtype=object)
    result = text_formulas_unwrapped(frame)["transaction_id"]
    assert [None if pd.isna(v) else v for v in result] == [shown(c) for c in cells]
