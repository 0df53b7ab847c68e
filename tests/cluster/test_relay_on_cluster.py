"""The outbox relay to the back office with the hub's store on a 3-master Redis Cluster: a
day's cases and ratings arrive once and in order, a refusal goes to the dead letters and
comes back (WATCH/MULTI on the cluster), an entry sent but not acknowledged is sent again.
The tests are the portal suite's own, run again here with this folder's store."""

from __future__ import annotations

import pytest

from tests.portal import test_relay as relay
from tests.portal.conftest import back_office as back_office
from tests.portal.conftest import portal_config_path as portal_config_path

from .on_cluster import cluster_url as cluster_url
from .on_cluster import redis_client as redis_client
from .on_cluster import redis_url as redis_url

pytestmark = pytest.mark.usefixtures("redis_client")

test_a_hall_day_arrives_once_signed_and_in_order = (
    relay.test_a_hall_day_arrives_once_signed_and_in_order
)
test_a_refusal_goes_to_the_dead_letters_and_retry_brings_it_back = (
    relay.test_a_refusal_goes_to_the_dead_letters_and_retry_brings_it_back
)
test_an_evaluation_overtaken_by_a_retried_case_waits_for_it = (
    relay.test_an_evaluation_overtaken_by_a_retried_case_waits_for_it
)
test_a_relay_stopped_between_sending_and_acknowledging_sends_again = (
    relay.test_a_relay_stopped_between_sending_and_acknowledging_sends_again
)
