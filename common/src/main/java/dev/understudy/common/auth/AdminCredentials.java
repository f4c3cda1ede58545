package dev.understudy.common.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.PasswordHasher;
import dev.understudy.common.store.ConfigStore;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Checks a user and password against the admin users of the replicated {@code users} collection.
 * An unknown user costs exactly what a wrong password costs: the password is hashed against a
 * dummy hash of the same kind and iteration count, so the answer time does not tell which users exist.
 */
public final class AdminCredentials {

    /** The slow check itself; {@link PasswordHasher#verify} in production, a recorder in tests. */
    @FunctionalInterface
    public interface Verifier {
        boolean verify(char[] password, String storedHash);
    }

    /** A well-formed hash nobody knows the password of (random salt and key; deriving it is not needed). */
    static final String DUMMY_HASH = dummyHash();

    private final ConfigStore store;
    private final Verifier verifier;

    public AdminCredentials(ConfigStore store) {
        this(store, PasswordHasher::verify);
    }

    public AdminCredentials(ConfigStore store, Verifier verifier) {
        this.store = store;
        this.verifier = verifier;
    }

    /** The stored hash of {@code user}, or null when there is no such user (or it has no hash). */
    public String storedHash(String user) {
        return store.read(doc -> {
            JsonNode u = doc.get(ConfigCollection.USERS, user);
            return u == null ? null : u.path("passwordHash").asText(null);
        });
    }

    /** Whether {@code password} matches {@code storedHash}; a null hash (unknown user) is checked against the dummy. */
    public boolean verify(char[] password, String storedHash) {
        boolean known = storedHash != null;
        boolean ok = verifier.verify(password, known ? storedHash : DUMMY_HASH);
        return known && ok;
    }

    /** {@link #storedHash} then {@link #verify}. */
    public boolean verify(String user, char[] password) {
        return verify(password, storedHash(user));
    }

    private static String dummyHash() {
        SecureRandom r = new SecureRandom();
        byte[] salt = new byte[16];
        byte[] key = new byte[32];
        r.nextBytes(salt);
        r.nextBytes(key);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return "pbkdf2-sha256$" + PasswordHasher.ITERATIONS + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(key);
    }
}
