package dev.understudy.dist.admin;

import dev.understudy.common.auth.AdminCredentials;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.home.PasswordHasher;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks an {@code Authorization} header: {@code Bearer <admin.token>} (constant-time compare) or
 * HTTP basic with an admin user of the replicated {@code users} collection, through the node's
 * {@link LoginGuard}: a source with too many failed logins is refused before any password is hashed.
 *
 * <p>PBKDF2 is deliberately slow (about half a second), so a successful basic check is cached under
 * SHA-256(user, password) together with the stored hash it matched: a changed or deleted user's hash
 * no longer matches, and the entry is ignored. The cache is consulted only after the throttle let the
 * attempt through (else a locked-out guesser would learn from a cache hit). Neither passwords nor
 * tokens are kept or logged.
 */
final class Authenticator {

    /** Bounds the cache; a full cache is simply dropped (it only saves time). */
    static final int MAX_CACHED = 256;

    private static final LoginGuard.Result NO_CREDENTIALS = new LoginGuard.Result(LoginGuard.Outcome.DENIED, 0);
    private static final LoginGuard.Result OK = new LoginGuard.Result(LoginGuard.Outcome.OK, 0);

    private final byte[] token;
    private final AdminCredentials credentials;
    private final LoginGuard guard;
    private final Map<String, String> verified = new ConcurrentHashMap<>();

    Authenticator(String adminToken, AdminCredentials credentials, LoginGuard guard) {
        this.token = adminToken.getBytes(StandardCharsets.UTF_8);
        this.credentials = credentials;
        this.guard = guard;
    }

    /** Checks {@code header} (may be null: no credentials, which is not counted as a failed login). */
    LoginGuard.Result authenticate(String header, String source, LoginGuard.Door door) {
        if (header == null) {
            return NO_CREDENTIALS;
        }
        int sp = header.indexOf(' ');
        String scheme = sp <= 0 ? header : header.substring(0, sp);
        String presented = sp <= 0 ? "" : header.substring(sp + 1).trim();
        if (scheme.equalsIgnoreCase("Bearer")) {
            // a long random token, always compared (even for a locked-out source: the local CLI must keep working)
            if (MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8))) {
                return OK;
            }
            return denied(door, source, "a wrong admin token");
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            return basic(presented, source, door);
        }
        return denied(door, source, "an unsupported authorization scheme");
    }

    private LoginGuard.Result denied(LoginGuard.Door door, String source, String what) {
        guard.failedWithoutCheck(door, source, what);
        return NO_CREDENTIALS;
    }

    private LoginGuard.Result basic(String encoded, String source, LoginGuard.Door door) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            return denied(door, source, "malformed basic credentials");
        }
        String pair = new String(raw, StandardCharsets.UTF_8);
        Arrays.fill(raw, (byte) 0);
        int colon = pair.indexOf(':');
        if (colon <= 0) {
            return denied(door, source, "malformed basic credentials");
        }
        String user = pair.substring(0, colon);
        char[] password = pair.substring(colon + 1).toCharArray();
        try {
            return guard.attempt(door, source, user, () -> {
                String stored = credentials.storedHash(user);
                String key = cacheKey(pair);
                if (stored != null && stored.equals(verified.get(key))) {
                    return true;
                }
                if (!credentials.verify(password, stored)) {
                    return false;
                }
                if (verified.size() >= MAX_CACHED) {
                    verified.clear();
                }
                verified.put(key, stored);
                return true;
            });
        } finally {
            PasswordHasher.wipe(password);
        }
    }

    private static String cacheKey(String userColonPassword) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(d.digest(userColonPassword.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
