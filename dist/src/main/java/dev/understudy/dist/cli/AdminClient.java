package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.dist.client.AdminClient.Response;
import java.io.IOException;

/**
 * The CLI's side of the admin API: the shared {@link dev.understudy.dist.client.AdminClient} (local
 * admin socket, else HTTPS with admin.token trusting exactly tls/node.crt), whose failures end the
 * command with exit 1 and their one-line message.
 */
final class AdminClient {

    private final dev.understudy.dist.client.AdminClient client;

    private AdminClient(dev.understudy.dist.client.AdminClient client) {
        this.client = client;
    }

    /** A client for the node of {@code home}. */
    static AdminClient forHome(HomeOption home) {
        return new AdminClient(dev.understudy.dist.client.AdminClient.forHome(home.nodeHome(), home.shown()));
    }

    /** Where the requests went: the local socket or the HTTPS base URL. */
    String base() {
        return client.endpoint();
    }

    Response get(String path) {
        return call(() -> client.get(path));
    }

    Response put(String path, JsonNode body) {
        return call(() -> client.put(path, body));
    }

    Response post(String path, JsonNode body) {
        return call(() -> client.post(path, body));
    }

    Response delete(String path) {
        return call(() -> client.delete(path));
    }

    /** The body of a 200 answer; any other status fails the command with the API's message. */
    JsonNode ok(Response r) {
        return call(() -> client.ok(r));
    }

    private interface Call<T> {
        T run() throws IOException;
    }

    private static <T> T call(Call<T> c) {
        try {
            return c.run();
        } catch (IOException e) {
            throw CliException.failed(e.getMessage());
        }
    }
}
