"""The link to the back office over HTTP.

What lives here: the outbox relay (`relay.py`) and the outbox interface it is handed
(`outbox_port.py`, implemented by the hub's store), the delivery policy (`policy.py`),
Standard Webhooks signatures (`webhooks.py`) and a reference back office (`reference.py`).

May import: `hall.contract` and `hall.domain` only (never the hub or its store).
"""
