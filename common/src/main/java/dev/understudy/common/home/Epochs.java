package dev.understudy.common.home;

/**
 * The bounds every epoch obeys. An epoch only grows by one per promotion, so a legitimate one is a
 * small number; a node refuses to persist or adopt one outside these bounds, which keeps every
 * {@code epoch + 1} far from overflow and stops a peer from pushing a node's epoch to the end of the
 * range in one message.
 */
public final class Epochs {

    /** The largest epoch a node persists (2^53: exact in every JSON reader, and {@code + 1} never overflows). */
    public static final long MAX = 1L << 53;

    /** How far above its own epoch a node adopts an epoch learned from an (authenticated) peer. */
    public static final long MAX_STEP = 1_000_000;

    private Epochs() {}

    /** Whether {@code epoch} is a value a node may hold at all. */
    public static boolean inRange(long epoch) {
        return epoch >= 0 && epoch <= MAX;
    }

    /** Whether a node in epoch {@code mine} may learn {@code theirs} from a peer (no overflow in the comparison). */
    public static boolean plausible(long mine, long theirs) {
        return inRange(theirs) && (theirs <= mine || theirs - mine <= MAX_STEP);
    }

    /** The epoch after {@code epoch}; refuses to leave the range instead of wrapping around. */
    public static long next(long epoch) {
        if (!inRange(epoch) || epoch == MAX) {
            throw new IllegalStateException("epoch: " + epoch + " (expected: 0.." + (MAX - 1) + " to promote)");
        }
        return epoch + 1;
    }

    /** The message for an epoch outside {@link #inRange}. */
    public static String outOfRange(long epoch) {
        return "epoch: " + epoch + " (expected: 0.." + MAX + ")";
    }
}
