"""Faults and attacks, on loopback and bounded: processes killed under load, links slowed and
cut through a TCP proxy, a fuzz flood. Every process a test starts is stopped at its end."""
