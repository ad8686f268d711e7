"""What makes the edge's device-facing messages unique across restarts without trusting the wall clock.

A Pi without a real-time clock may boot at 1970 (clamped to ts 0) or past 2**53 - 1 ms (clamped to the top), in
which case every start would stamp the same ``ts``; numbers derived from it would repeat after each restart, and a
post de-duplicating by ``(src, seq, ts)`` or by ``request_id`` would drop a new relay-off, or a late ``RelayResult``
of the previous run would confirm a new command. So both derive from the boot number instead: a persistent counter
(in the outbox store) bumped once at every start, before any command is sent.
"""

# each start numbers its device-facing messages (relay commands, keep-alives) from boot * SEQ_SPAN: 2**32 per start
# (136 years of a shed cut a second), and 2**31 starts before the contract's 2**63 - 1 is reached
SEQ_SPAN = 1 << 32
BOOT_MAX = (1 << 31) - 1
# A store from before boot numbers (its session number or outbox already in use, no boot number): earlier edges
# numbered these seqs from the wall clock in ms (about 1.8e12 in 2026). Its first boot number is 1001, whose seqs
# (4.3e12 up) lie above every ms stamp before 2106, so a post keeping a high-water mark never sees them go back.
UPGRADE_FIRST_BOOT = 1001


def boot_before(stored: int, store_in_use: bool) -> int:
    """The boot number this start counts on from (the caller then bumps it): the stored one, or for a store in
    use that predates boot numbers (none stored) ``UPGRADE_FIRST_BOOT - 1``."""
    return stored if stored > 0 or not store_in_use else UPGRADE_FIRST_BOOT - 1


def first_seq(boot: int) -> int:
    """The first device-facing seq of start number ``boot`` (1, 2, ...): above every seq of the starts before."""
    if not 0 <= boot <= BOOT_MAX:
        raise ValueError(f"boot number {boot} outside 0..{BOOT_MAX}")
    return boot * SEQ_SPAN


def request_id(boot: int, counter: int) -> str:
    """A relay request id: unique across restarts (boot number), and within one (a counter)."""
    return f"r{boot}-{counter}"
