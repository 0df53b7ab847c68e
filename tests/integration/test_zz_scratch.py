import pytest
from .contract_client import ContractClient

async def test_sanity(hub, client: ContractClient) -> None:
    with pytest.raises(AssertionError):
        await client.assert_dropped("kiosk-1", b'{"id":"q","op":"ticket.take","args":{"service":"A"}}')
    with pytest.raises(AssertionError):
        await client.assert_dropped("kiosk-1", b'{"id":"q2","op":"ticket.take","args":{"service":"A"')
