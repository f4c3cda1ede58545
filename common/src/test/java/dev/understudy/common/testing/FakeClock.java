package dev.understudy.common.testing;

import dev.understudy.common.clock.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when a test says so. Shared fixture (common test-jar). */
public final class FakeClock implements Clock {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicLong wallMillis = new AtomicLong(1_790_000_000_000L);

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public long currentTimeMillis() {
        return wallMillis.get();
    }

    public FakeClock advance(Duration d) {
        nanos.addAndGet(d.toNanos());
        wallMillis.addAndGet(d.toMillis());
        return this;
    }

    public FakeClock advanceMillis(long ms) {
        return advance(Duration.ofMillis(ms));
    }
}
