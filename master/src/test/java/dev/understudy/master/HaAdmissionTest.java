package dev.understudy.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HaAdmissionTest {

    @Test
    void boundsEachSourceAndAllSourcesTogether() {
        HaAdmission a = new HaAdmission(2, 3);
        assertThat(a.tryAcquire("10.0.0.1")).isTrue();
        assertThat(a.tryAcquire("10.0.0.1")).isTrue();
        assertThat(a.tryAcquire("10.0.0.1")).as("third from one source").isFalse();
        assertThat(a.tryAcquire("10.0.0.2")).isTrue();
        assertThat(a.tryAcquire("10.0.0.3")).as("total reached").isFalse();
        a.release("10.0.0.1");
        assertThat(a.tryAcquire("10.0.0.3")).as("a released slot is free again").isTrue();
        assertThat(a.held()).isEqualTo(3);
        a.release("10.0.0.1");
        a.release("10.0.0.2");
        a.release("10.0.0.3");
        assertThat(a.held()).isZero();
        assertThat(a.tryAcquire("10.0.0.1")).isTrue();
    }

    @Test
    void aReleaseWithoutASlotIsABug() {
        HaAdmission a = new HaAdmission();
        assertThatThrownBy(() -> a.release("10.0.0.1")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no slot held");
        assertThatThrownBy(() -> new HaAdmission(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
