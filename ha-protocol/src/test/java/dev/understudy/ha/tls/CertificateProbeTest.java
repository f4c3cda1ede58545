package dev.understudy.ha.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.testing.RecordingTlsServer;
import dev.understudy.common.testing.TestCertificates;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CertificateProbeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void readsTheServersCertificateAndSendsItNothing() throws Exception {
        TestCertificates.Identity master = TestCertificates.selfSigned("master");
        try (RecordingTlsServer server = RecordingTlsServer.start(master, Duration.ofSeconds(5))) {
            X509Certificate got = CertificateProbe.fetch(new HostPort("127.0.0.1", server.port()), TIMEOUT);
            assertThat(Certificates.fingerprint(got)).isEqualTo(Certificates.fingerprint(master.cert()));
            List<RecordingTlsServer.Connection> seen = server.awaitConnections(1, TIMEOUT);
            assertThat(seen).hasSize(1);
            assertThat(seen.get(0).handshakeCompleted()).as("the probe never completes the handshake").isFalse();
            assertThat(seen.get(0).received()).as("no application data reached the server").isEmpty();
        }
    }

    @Test
    void aPortThatDoesNotSpeakTlsIsAClearError() throws Exception {
        try (ServerSocket plain = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = plain.accept()) {
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the test closed the socket
                }
            });
            t.start();
            assertThatThrownBy(() -> CertificateProbe.fetch(new HostPort("127.0.0.1", plain.getLocalPort()), TIMEOUT))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("127.0.0.1:" + plain.getLocalPort())
                    .hasMessageContaining("no TLS 1.3 certificate")
                    .hasMessageContaining("HA port");
            t.join(TIMEOUT.toMillis());
        }
    }

    @Test
    void nothingListeningIsAnIoError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        int closed = port;
        assertThatThrownBy(() -> CertificateProbe.fetch(new HostPort("127.0.0.1", closed), TIMEOUT))
                .isInstanceOf(IOException.class);
    }
}
