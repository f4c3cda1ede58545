package dev.understudy.common.alert;

/** What an alert is about; scripts filter on these names. */
public enum AlertCategory {
    PUSH_FAILED, CONFIG_INCONSISTENT, PEER_UNREACHABLE, VERSION_MISMATCH, CERT_EXPIRING, FAILOVER,
    ORPHANED_CHANGES, PAIRING_REJECTED, MAPPING_BIND_FAILED, AUTH_FAILURES
}
