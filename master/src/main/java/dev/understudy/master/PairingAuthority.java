package dev.understudy.master;

import java.security.cert.X509Certificate;

/** What the master consults and records when a shadow pairs (implemented by the node runtime). */
public interface PairingAuthority {

    /**
     * Whether {@code user}/{@code password} are valid admin credentials of this master; {@code source}
     * is the connecting address, whose failed attempts are throttled (a locked-out source gets false
     * without a check).
     */
    boolean verify(String user, char[] password, String source);

    /**
     * Pins the shadow: stores its certificate and HA address durably before the master goes on;
     * from then on only that certificate is accepted.
     */
    void pin(X509Certificate shadowCert, String shadowNodeId, String shadowHaAddress) throws Exception;

    /** The pinned shadow certificate, or null when this master is not paired. */
    X509Certificate pinned();
}
