package dev.understudy.common.home;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordHasherTest {

    @Test
    void verifiesTheRightPasswordOnly() {
        String h = PasswordHasher.hash("s3cret-pass".toCharArray(), 1000);
        assertThat(h).matches("pbkdf2-sha256\\$1000\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        assertThat(PasswordHasher.verify("s3cret-pass".toCharArray(), h)).isTrue();
        assertThat(PasswordHasher.verify("s3cret-pasS".toCharArray(), h)).isFalse();
        assertThat(PasswordHasher.verify("".toCharArray(), h)).isFalse();
        assertThat(PasswordHasher.verify("s3cret-pass ".toCharArray(), h)).isFalse();
    }

    @Test
    void defaultHashUsesTheDocumentedIterations() {
        String h = PasswordHasher.hash("pässwörd€".toCharArray());
        assertThat(h).startsWith("pbkdf2-sha256$600000$");
        assertThat(PasswordHasher.verify("pässwörd€".toCharArray(), h)).isTrue();
    }

    @Test
    void twoHashesOfOnePasswordDiffer() {
        String a = PasswordHasher.hash("same password".toCharArray(), 1000);
        String b = PasswordHasher.hash("same password".toCharArray(), 1000);
        assertThat(a).isNotEqualTo(b);
        assertThat(PasswordHasher.verify("same password".toCharArray(), a)).isTrue();
        assertThat(PasswordHasher.verify("same password".toCharArray(), b)).isTrue();
    }

    @Test
    void malformedHashesVerifyNothing() {
        String good = PasswordHasher.hash("pw-12345".toCharArray(), 1000);
        String[] parts = good.split("\\$");
        String[] bad = {null, "", "pw-12345", "pbkdf2-sha256", "pbkdf2-sha256$1000$" + parts[2],
                "pbkdf2-sha1$1000$" + parts[2] + "$" + parts[3], "pbkdf2-sha256$x$" + parts[2] + "$" + parts[3],
                "pbkdf2-sha256$0$" + parts[2] + "$" + parts[3], "pbkdf2-sha256$-5$" + parts[2] + "$" + parts[3],
                "pbkdf2-sha256$99999999999$" + parts[2] + "$" + parts[3], "pbkdf2-sha256$1000$!!!$" + parts[3],
                "pbkdf2-sha256$1000$$" + parts[3], "pbkdf2-sha256$1000$" + parts[2] + "$", good + "$extra",
                "pbkdf2-sha256$1000$" + parts[2] + "$" + parts[3].substring(1)};
        for (String b : bad) {
            assertThat(PasswordHasher.verify("pw-12345".toCharArray(), b)).as(String.valueOf(b)).isFalse();
        }
    }

    @Test
    void wipeZeroesTheBuffer() {
        char[] pw = "secret-123".toCharArray();
        PasswordHasher.wipe(pw);
        assertThat(new String(pw)).isEqualTo("\0".repeat(10));
        PasswordHasher.wipe(null);
    }
}
