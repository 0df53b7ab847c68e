"""The device contract end to end with the hub's store on a 3-master Redis Cluster: a hall's
day (take, call, start, finish, rate), repeated request ids carried out once, and an older
hub fenced by a newer one. The tests are the integration suite's own, run again here with
this folder's store."""

from __future__ import annotations

import pytest

from tests.integration import test_fencing as fencing
from tests.integration import test_hall_day as hall_day
from tests.integration import test_requests_repeated as repeated

from .on_cluster import cluster_url as cluster_url
from .on_cluster import redis_client as redis_client
from .on_cluster import redis_url as redis_url

# The cluster loses this test's keys when the test ends (after the hub has stopped).
pytestmark = pytest.mark.usefixtures("redis_client")

test_a_hall_day = hall_day.test_a_hall_day
test_a_repeated_take_gets_the_same_response_and_one_ticket = (
    repeated.test_a_repeated_take_gets_the_same_response_and_one_ticket
)
test_a_request_sent_twice_back_to_back_is_carried_out_once = (
    repeated.test_a_request_sent_twice_back_to_back_is_carried_out_once
)
test_a_repeated_call_next_is_carried_out_once = (
    repeated.test_a_repeated_call_next_is_carried_out_once
)
test_the_same_id_from_another_device_is_another_request = (
    repeated.test_the_same_id_from_another_device_is_another_request
)
test_an_older_hub_is_fenced_and_stops = fencing.test_an_older_hub_is_fenced_and_stops
