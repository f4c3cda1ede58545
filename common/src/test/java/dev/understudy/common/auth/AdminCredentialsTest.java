package dev.understudy.common.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.PasswordHasher;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminCredentialsTest {

    @TempDir
    Path dir;

    @Test
    void anUnknownUserIsHashedLikeAWrongPassword() throws Exception {
        String realHash = PasswordHasher.hash("right".toCharArray());
        try (ConfigStore store = ConfigStore.open(dir)) {
            store.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.USERS, "admin", Json.object().put("passwordHash", realHash))));
            List<String> hashed = new ArrayList<>();
            AdminCredentials c = new AdminCredentials(store, (pw, stored) -> {
                hashed.add(stored);
                return PasswordHasher.verify(pw, stored);
            });
            assertThat(c.verify("admin", "wrong".toCharArray())).isFalse();
            assertThat(c.verify("nobody", "wrong".toCharArray())).isFalse();
            assertThat(c.verify("admin", "right".toCharArray())).isTrue();
            assertThat(hashed).as("every attempt runs the slow hash once").hasSize(3);
            assertThat(hashed.get(0)).isEqualTo(realHash);
            // the unknown user's hash: same scheme and iteration count as a real one, so the same cost
            String[] dummy = hashed.get(1).split("\\$");
            String[] real = realHash.split("\\$");
            assertThat(dummy[0]).isEqualTo(real[0]);
            assertThat(dummy[1]).isEqualTo(real[1]).isEqualTo(Integer.toString(PasswordHasher.ITERATIONS));
            assertThat(dummy[2].length()).isEqualTo(real[2].length());
            assertThat(dummy[3].length()).isEqualTo(real[3].length());
        }
    }

    @Test
    void theDummyHashAcceptsNoPasswordEvenIfItMatched() throws Exception {
        try (ConfigStore store = ConfigStore.open(dir)) {
            AdminCredentials c = new AdminCredentials(store, (pw, stored) -> true);
            assertThat(c.verify("nobody", "anything".toCharArray())).isFalse();
        }
    }
}
