"""kaxl: the key-account (大客户) sales SOP, enforced on the Excel ledger people already keep.

The core (reading, rules, scores, alerts) is made of plain functions of data, settings and an
``as_of`` date; commands and Excel buttons are thin layers around it.
"""

__version__ = "0.1.0"
