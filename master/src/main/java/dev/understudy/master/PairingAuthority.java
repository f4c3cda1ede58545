package dev.understudy.master;

import java.security.cert.X509Certificate;

/** What the master consults and records when a shadow pairs (implemented by the node runtime). */
public interface PairingAuthority {

    /** The answer to a pairing password: accepted, denied, or refused unchecked for {@code retryAfterSeconds}. */
    record Verdict(boolean accepted, long retryAfterSeconds) {
        public static final Verdict ACCEPTED = new Verdict(true, 0);
        public static final Verdict DENIED = new Verdict(false, 0);

        /** The source failed too often: the password was not even checked. */
        public boolean throttled() {
            return !accepted && retryAfterSeconds > 0;
        }
    }

    /**
     * Whether {@code user}/{@code password} are valid admin credentials of this master; {@code source}
     * is the connecting address, whose failed attempts are throttled (a locked-out source is refused
     * without a check).
     */
    Verdict verify(String user, char[] password, String source);

    /**
     * Pins the shadow: stores its certificate and HA address durably before the master goes on;
     * from then on only that certificate is accepted.
     */
    void pin(X509Certificate shadowCert, String shadowNodeId, String shadowHaAddress) throws Exception;

    /** The pinned shadow certificate, or null when this master is not paired. */
    X509Certificate pinned();
}
