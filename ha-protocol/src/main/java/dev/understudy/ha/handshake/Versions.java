package dev.understudy.ha.handshake;

/** This build's software and protocol versions. */
public final class Versions {

    /** Software version, major.minor.patch. */
    public static final String SOFTWARE = "0.1.0";
    /** Protocol major version; peers must match exactly. */
    public static final int PROTOCOL = 1;

    private Versions() {}

}
