package dev.understudy.dist.admin;

/** A write reached a node that is not the active one; {@link #master()} says where to write instead. */
public final class NotActiveException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String master;

    public NotActiveException(String master) {
        this(master, "this node is the shadow; write to the master at " + (master == null ? "(unknown: not attached)" : master));
    }

    public NotActiveException(String master, String message) {
        super(message);
        this.master = master;
    }

    /** The master's address (host:port) as this node knows it, or null while detached. */
    public String master() {
        return master;
    }
}
