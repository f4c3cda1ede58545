package dev.understudy.dist.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.home.Role;
import org.junit.jupiter.api.Test;

class WizardTest {

    @Test
    void defaultsAreShownAndAcceptedWithEnter() {
        ScriptedConsole c = new ScriptedConsole("", "", "", "", "secret-pass", "secret-pass");
        Wizard.Answers a = new Wizard(c).complete(new Wizard.Answers());
        assertThat(a.role).isEqualTo(Role.MASTER);
        assertThat(a.adminPort).isEqualTo(8443);
        assertThat(a.haPort).isEqualTo(8444);
        assertThat(a.adminUser).isEqualTo("admin");
        assertThat(new String(a.password)).isEqualTo("secret-pass");
        assertThat(a.masterAddress).isNull();
        assertThat(c.prompts).anySatisfy(p -> assertThat(p).contains("[8443]"));
        assertThat(c.prompts).anySatisfy(p -> assertThat(p).contains("[8444]"));
        assertThat(c.passwordPrompts).hasSize(2);
        assertThat(c.unused()).isZero();
    }

    @Test
    void shadowIsAskedForTheMastersAddress() {
        ScriptedConsole c = new ScriptedConsole("shadow", "9443", "9444", "ops", "secret-pass", "secret-pass",
                "master.example:8444");
        Wizard.Answers a = new Wizard(c).complete(new Wizard.Answers());
        assertThat(a.role).isEqualTo(Role.SHADOW);
        assertThat(a.adminPort).isEqualTo(9443);
        assertThat(a.haPort).isEqualTo(9444);
        assertThat(a.adminUser).isEqualTo("ops");
        assertThat(a.masterAddress).isEqualTo("master.example:8444");
        // told before the password is set: attach replaces it with the master's
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("admin users and passwords are replaced by the master's"));
        assertThat(c.passwordPrompts).isNotEmpty();
    }

    @Test
    void aMasterIsNotToldItsPasswordWillBeReplaced() {
        ScriptedConsole c = new ScriptedConsole("master", "9443", "9444", "ops", "secret-pass", "secret-pass");
        new Wizard(c).complete(new Wizard.Answers());
        assertThat(c.shown).noneSatisfy(l -> assertThat(l).contains("replaced by the master's"));
    }

    @Test
    void badAnswersAreAskedAgainWithTheReason() {
        ScriptedConsole c = new ScriptedConsole("primary", "master", "70000", "abc", "0", "0", "bad user!", "admin",
                "secret-pass", "secret-pass");
        Wizard.Answers a = new Wizard(c).complete(new Wizard.Answers());
        assertThat(a.role).isEqualTo(Role.MASTER);
        assertThat(a.adminPort).isEqualTo(0);
        assertThat(a.haPort).isEqualTo(0);
        assertThat(a.adminUser).isEqualTo("admin");
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("role: primary (expected: master or shadow)"));
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("admin port: 70000 (expected: 0..65535)"));
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("admin port: abc (expected: a number 0..65535)"));
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("admin user: bad user!"));
        // 2 role prompts, 3 admin port prompts, 1 HA port prompt, 2 user prompts
        assertThat(c.prompts).hasSize(8);
    }

    @Test
    void haPortEqualToAdminPortIsAskedAgain() {
        ScriptedConsole c = new ScriptedConsole("master", "9000", "9000", "9001", "", "secret-pass", "secret-pass");
        Wizard.Answers a = new Wizard(c).complete(new Wizard.Answers());
        assertThat(a.haPort).isEqualTo(9001);
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("HA port: 9000 (expected: a port other than the admin port)"));
    }

    @Test
    void mismatchedOrShortPasswordsAreAskedAgain() {
        ScriptedConsole c = new ScriptedConsole("master", "", "", "", "short", "first-pass", "other-pass",
                "final-pass", "final-pass");
        Wizard.Answers a = new Wizard(c).complete(new Wizard.Answers());
        assertThat(new String(a.password)).isEqualTo("final-pass");
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("too short"));
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("the two passwords differ"));
        assertThat(c.passwordPrompts).hasSize(5);
    }

    @Test
    void shadowMasterAddressIsValidated() {
        ScriptedConsole c = new ScriptedConsole("shadow", "", "", "", "secret-pass", "secret-pass", "",
                "nohostport", "m:99999", "10.0.0.1:8444");
        Wizard.Answers a = new Wizard(c).complete(new Wizard.Answers());
        assertThat(a.masterAddress).isEqualTo("10.0.0.1:8444");
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("an answer is required"));
        assertThat(c.shown).anySatisfy(l -> assertThat(l).contains("address: nohostport (expected: host:port)"));
    }

    @Test
    void onlyMissingAnswersAreAsked() {
        Wizard.Answers given = new Wizard.Answers();
        given.role = Role.MASTER;
        given.adminPort = 1;
        given.haPort = 2;
        given.adminUser = "root";
        ScriptedConsole c = new ScriptedConsole("secret-pass", "secret-pass");
        new Wizard(c).complete(given);
        assertThat(c.prompts).isEmpty();
        assertThat(c.passwordPrompts).hasSize(2);
    }

    @Test
    void endOfInputIsAUsageErrorNotAHang() {
        ScriptedConsole c = new ScriptedConsole("master");
        assertThatThrownBy(() -> new Wizard(c).complete(new Wizard.Answers()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("input ended")
                .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(2));
    }

    @Test
    void endlessBadAnswersStopAfterABoundedNumberOfAttempts() {
        String[] bad = new String[Wizard.MAX_ATTEMPTS + 5];
        java.util.Arrays.fill(bad, "neither");
        ScriptedConsole c = new ScriptedConsole(bad);
        assertThatThrownBy(() -> new Wizard(c).complete(new Wizard.Answers()))
                .isInstanceOf(CliException.class).hasMessageContaining("too many invalid answers");
        assertThat(c.prompts).hasSize(Wizard.MAX_ATTEMPTS);
    }
}
