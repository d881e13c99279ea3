package dev.llmgateway.gateway.testing;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Every gateway answer the test suite receives through {@link Http} passes here: it fails the test if a configured
 * secret, or any 12-character piece of one, appears in a header or the body. Answers of the fake upstream (which sees
 * the provider keys by design) are not checked.
 */
public final class LeakCheck {
    private static final int FRAGMENT = 12;
    private static final AtomicLong CHECKED = new AtomicLong();

    private LeakCheck() {}

    /** How many gateway answers have been checked so far in this JVM. */
    public static long checked() { return CHECKED.get(); }

    static void verify(HttpResponse<String> r) {
        int gatewayPort = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        if (r.uri().getPort() != gatewayPort) return;
        CHECKED.incrementAndGet();
        StringBuilder seen = new StringBuilder(r.body() == null ? "" : r.body());
        r.headers().map().forEach((k, v) -> seen.append('\n').append(k).append(": ").append(String.join(",", v)));
        List<String> found = leaks(seen.toString());
        if (!found.isEmpty()) {
            throw new AssertionError("secret material in the answer to " + r.request().method() + " " + r.uri().getPath()
                    + ": " + found);
        }
    }

    /** The fragments of configured secrets found in {@code text}. */
    public static List<String> leaks(String text) {
        List<String> found = new ArrayList<>();
        for (String secret : GatewayTestResource.SECRETS) {
            for (int i = 0; i + FRAGMENT <= secret.length(); i++) {
                String piece = secret.substring(i, i + FRAGMENT);
                if (text.contains(piece)) {
                    found.add(piece);
                    break;
                }
            }
        }
        return found;
    }
}
