"""Font data shipped with the gateway: `hall-subset.hex` (see `devices.font`)."""
