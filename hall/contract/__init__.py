"""The device contract as a layer of its own.

What lives here: the hall's exception tree (`errors.py`: `Fenced`, `StoreUnavailable`,
`Conflict`), the wire format (request envelopes, responses, error codes, topics), the MQTT
link (`link.py`, the one module of the project that imports aiomqtt), the contract device
client (`device.py`) that the serial gateway, the speaker, the demo's devices and the
benchmarks use, ID numbers sealed to the hub's key (`sealing.py`; PyNaCl, imported only when
a box is sealed or opened), and the hall file (`config.py`, its checker and line map): the
contract's section 1. Also what the other packages share below the hub: the checks every
configuration checker builds on (`config_base.py`: the hall file, the serial gateway's file,
driver options), the one backoff rule of every retry loop (`backoff.py`), free TCP ports
(`ports.py`), the `[store] url` forms for a Redis Cluster and Sentinel (`store_url.py`, read
alike by the hall file's checker and the store), and who may log in to the broker and what
each login may read and write (`access.py`: Mosquitto's `$7$` password hashes and the topic
rules of both brokers).

May import: the standard library, aiomqtt, PyNaCl (`sealing.py`), and `hall.domain`. Nothing
else of the hub.
"""
