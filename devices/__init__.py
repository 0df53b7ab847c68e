"""Device drivers: sans-I/O protocol codecs and small serial drivers, and the serial gateway."""
