"""Sans-I/O codecs for the serial and network devices of a service hall.

Each module turns commands into bytes and bytes into events, with no I/O of its own:

- `bx6`: Onbon/仰邦 BX-6 LED controller cards (dynamic areas, ping, brightness).
- `lineproto`: simple STX/ETX LED strips (address, GBK text, XOR checksum, ACK/NAK).
- `escpos`: thermal ticket printers (ticket layout, QR code, real-time status).
- `keypad485`: RS-485 caller keypads and rating pads (`FF 68 … 16` frames).
- `idcard`: second-generation resident ID card readers (SAM, `AA AA AA 96 69` frames).

Every codec raises only its own subclass of `CodecError`, and every `Decoder` reports
malformed input as a `BadFrame` event instead of raising.
"""

from devices.codecs.base import BadFrame, IncrementalDecoder
from devices.codecs.errors import CodecError

__all__ = ["BadFrame", "CodecError", "IncrementalDecoder"]
