"""Readers of /proc and /sys (through a RootFs): CPUs, IRQs, block devices and NICs."""
