package dev.llmgateway.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The real PostgreSQL that tests use, one server per test JVM with a fresh database per caller.
 *
 * <ul>
 *   <li>{@code -Dgateway.test.db=embedded} (the default): an embedded PostgreSQL 14 (zonky), no Docker needed.</li>
 *   <li>{@code -Dgateway.test.db=testcontainers}: a PostgreSQL container of {@link #IMAGE}, the version that
 *       {@code deploy/docker-compose.yml} runs in production, through Testcontainers. Needs a Docker engine; without one
 *       the first test that needs PostgreSQL fails with a message saying so.</li>
 * </ul>
 * The environment variable {@code GATEWAY_TEST_DB} is read when the system property is not set.
 */
public final class TestPostgres {
    /** System property (or env {@code GATEWAY_TEST_DB}) choosing where tests get PostgreSQL. */
    public static final String PROPERTY = "gateway.test.db";
    /** The container image: the same tag as the postgres service of deploy/docker-compose.yml. */
    public static final String IMAGE = "postgres:16.4";

    /** Where the test PostgreSQL runs. */
    public enum Mode { EMBEDDED, TESTCONTAINERS }

    /** A PostgreSQL server reachable on loopback (or the Docker host) with a superuser. */
    public record Server(String host, int port, String user, String password, String description) {
        /** JDBC URL of one database, with user and password as URL parameters (they win over driver properties). */
        public String jdbcUrl(String database) {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database + "?user=" + enc(user) + "&password=" + enc(password);
        }
    }

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static Server server;

    private TestPostgres() {}

    /** The configured mode; an unknown value is an error naming the allowed ones. */
    public static Mode mode() {
        String v = System.getProperty(PROPERTY, System.getenv("GATEWAY_TEST_DB"));
        if (v == null || v.isBlank()) return Mode.EMBEDDED;
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "embedded" -> Mode.EMBEDDED;
            case "testcontainers" -> Mode.TESTCONTAINERS;
            default -> throw new IllegalStateException("-D" + PROPERTY + "=" + v + " is not one of: embedded, testcontainers");
        };
    }

    /** The server of this JVM, started on first use. */
    public static synchronized Server server() {
        if (server == null) server = switch (mode()) {
            case EMBEDDED -> startEmbedded();
            case TESTCONTAINERS -> Containers.start();
        };
        return server;
    }

    /** Creates a new, empty database on {@link #server()} and returns its name ({@code <prefix>_<pid>_<n>}). */
    public static String freshDatabase(String prefix) {
        Server s = server();
        String name = (prefix + "_" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet()).toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9_]", "_");
        try (Connection c = DriverManager.getConnection(s.jdbcUrl("postgres")); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("creating test database " + name + " on " + s.description() + ": " + e.getMessage(), e);
        }
        return name;
    }

    /** A DataSource of one database on {@link #server()}. */
    public static javax.sql.DataSource dataSource(String database) {
        Server s = server();
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {s.host()});
        ds.setPortNumbers(new int[] {s.port()});
        ds.setDatabaseName(database);
        ds.setUser(s.user());
        ds.setPassword(s.password());
        return ds;
    }

    private static Server startEmbedded() {
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (IOException e) {
                    // the JVM is ending anyway
                }
            }, "test-postgres-stop"));
            return new Server("127.0.0.1", pg.getPort(), "postgres", "", "embedded PostgreSQL (zonky) on port " + pg.getPort());
        } catch (IOException e) {
            throw new UncheckedIOException("starting the embedded test PostgreSQL", e);
        }
    }

    /** Kept in its own class so that the embedded mode never loads a Testcontainers class. */
    private static final class Containers {
        static Server start() {
            boolean docker;
            String why = "";
            try {
                docker = org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
            } catch (RuntimeException | LinkageError e) {
                docker = false;
                why = " (" + e + ")";
            }
            if (!docker) {
                throw new IllegalStateException("-D" + PROPERTY + "=testcontainers needs a Docker engine, and Testcontainers found none"
                        + why + ". Start Docker (or set DOCKER_HOST), or run without -D" + PROPERTY + " to use the embedded PostgreSQL.");
            }
            var container = new org.testcontainers.containers.PostgreSQLContainer<>(org.testcontainers.utility.DockerImageName.parse(IMAGE))
                    .withUsername("postgres").withPassword("postgres-test").withDatabaseName("postgres");
            container.start();
            // Stopped by Testcontainers' reaper when the JVM ends.
            return new Server(container.getHost(), container.getMappedPort(5432), "postgres", "postgres-test",
                    "PostgreSQL container " + IMAGE + " (" + container.getContainerId() + ")");
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
