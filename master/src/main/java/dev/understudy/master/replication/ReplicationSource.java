package dev.understudy.master.replication;

import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import java.util.List;
import java.util.Optional;

/** What the replication core reads from the master's store; {@link #of(ConfigStore)} for the real one. */
public interface ReplicationSource {

    Head head();

    /** Every revision after {@code revision}, or empty when the journal no longer retains them. */
    Optional<List<Revision>> changesSince(long revision);

    /** The config hash at {@code revision}, or empty when it is not retained. */
    Optional<String> hashAt(long revision);

    ConfigStore.Snapshot snapshot();

    long oldestRetainedBase();

    static ReplicationSource of(ConfigStore store) {
        return new ReplicationSource() {
            @Override
            public Head head() {
                return store.head();
            }

            @Override
            public Optional<List<Revision>> changesSince(long revision) {
                return store.changesSince(revision);
            }

            @Override
            public Optional<String> hashAt(long revision) {
                return store.hashAt(revision);
            }

            @Override
            public ConfigStore.Snapshot snapshot() {
                return store.snapshot();
            }

            @Override
            public long oldestRetainedBase() {
                return store.oldestRetainedBase();
            }
        };
    }
}
