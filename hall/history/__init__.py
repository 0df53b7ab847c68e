"""The hall's history: finished visits and ratings in a SQL database, and the reports on them.

What lives here: the records the outbox carries, as the history keeps them (`records.py`);
the SQL databases, SQLite by default and PostgreSQL for halls that report together
(`databases.py`); the one schema and its migrations, versioned in code (`schema.py`); the
archive that writes records with idempotent upserts and keeps each day's small rollup
(`archive.py`, `rollup.py`); the reports for a date range by service, window, clerk or hour
(`reports.py`) and their CSV and XLSX forms (`export.py`); the consumer that moves records
from the hall's outbox to SQL (`consumer.py`), handed the outbox through the interface of
`outbox_port.py` (implemented by the hub's store). Nothing of the history is kept in memory:
every report is a few SQL queries on the daily rollup.

May import: `hall.contract`, `hall.domain` and its SQL drivers (sqlite3, psycopg; openpyxl for
XLSX) only: never the hub, the store or the web side.
"""
