package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.Tx;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Versioned, effective-dated prices in PostgreSQL ({@code price_versions}), cached in memory. A usage event is
 * priced with the version in effect at its time, so a price change never reprices old usage.
 */
public final class PriceCatalog {
    private static final Logger LOG = System.getLogger(PriceCatalog.class.getName());
    private static final String COLUMNS = "id, deployment, deployment_class, effective_from, input_micros_per_mtok, "
            + "output_micros_per_mtok, cached_micros_per_mtok, list_input_micros_per_mtok, list_output_micros_per_mtok, "
            + "list_cached_micros_per_mtok, markup_bp";

    private final DataSource db;
    private volatile Map<String, TreeMap<Instant, PriceVersion>> versions = Map.of();

    /** Loads the catalog from the database. */
    public PriceCatalog(DataSource db) {
        this.db = db;
        refresh();
    }

    /** What {@link #syncFromConfig} did: deployments that got a new version and those already up to date. */
    public record SyncReport(List<String> newVersions, List<String> unchanged) {}

    /** The version in effect for {@code deployment} at {@code at}, if the deployment was priced by then. */
    public Optional<PriceVersion> priceAt(String deployment, Instant at) {
        TreeMap<Instant, PriceVersion> byTime = versions.get(deployment);
        if (byTime == null) return Optional.empty();
        Map.Entry<Instant, PriceVersion> e = byTime.floorEntry(at);
        return e == null ? Optional.empty() : Optional.of(e.getValue());
    }

    /** Every version of a deployment, oldest first. */
    public List<PriceVersion> versions(String deployment) {
        TreeMap<Instant, PriceVersion> byTime = versions.get(deployment);
        return byTime == null ? List.of() : List.copyOf(byTime.values());
    }

    /**
     * Makes the catalog match the configuration as of {@code now}: for each configured deployment whose version
     * in effect at {@code now} prices differently (or that has none), inserts a version effective {@code now}.
     * Unchanged deployments get nothing, so restarting with the same config adds no versions. Serialized across
     * replicas with an advisory lock.
     */
    public SyncReport syncFromConfig(PricingConfig config, Instant now) {
        List<String> inserted = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        try {
            Tx.inTransaction(db, c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT pg_advisory_xact_lock(hashtext('price_versions_sync'))");
                }
                Map<String, TreeMap<Instant, PriceVersion>> current = load(c);
                for (DeploymentPricing d : config.deployments()) {
                    int markup = config.effectiveMarkupBp(d);
                    TreeMap<Instant, PriceVersion> byTime = current.get(d.deployment());
                    Map.Entry<Instant, PriceVersion> inEffect = byTime == null ? null : byTime.floorEntry(now);
                    if (inEffect != null && inEffect.getValue().samePricesAs(d, markup)) {
                        unchanged.add(d.deployment());
                    } else {
                        insert(c, d, markup, now, "config");
                        inserted.add(d.deployment());
                    }
                }
                return null;
            });
        } catch (SQLException e) {
            throw new StoreException("syncing prices from configuration", e);
        }
        refresh();
        if (!inserted.isEmpty()) LOG.log(Level.INFO, "new price versions effective %s for %s".formatted(now, inserted));
        return new SyncReport(List.copyOf(inserted), List.copyOf(unchanged));
    }

    /** Adds a version effective at {@code effectiveFrom} (possibly in the future), e.g. an announced price change. */
    public PriceVersion addVersion(DeploymentPricing d, int markupBp, Instant effectiveFrom, String source) {
        try (Connection c = db.getConnection()) {
            insert(c, d, markupBp, effectiveFrom, source);
        } catch (SQLException e) {
            throw new StoreException("adding a price version for " + d.deployment(), e);
        }
        refresh();
        return priceAt(d.deployment(), effectiveFrom).orElseThrow();
    }

    /** Reloads the in-memory cache from the database (other replicas may have added versions). */
    public void refresh() {
        try (Connection c = db.getConnection()) {
            versions = load(c);
        } catch (SQLException e) {
            throw new StoreException("loading price versions", e);
        }
    }

    private static void insert(Connection c, DeploymentPricing d, int markupBp, Instant effectiveFrom, String source)
            throws SQLException {
        String sql = "INSERT INTO price_versions (deployment, deployment_class, effective_from, input_micros_per_mtok, "
                + "output_micros_per_mtok, cached_micros_per_mtok, list_input_micros_per_mtok, list_output_micros_per_mtok, "
                + "list_cached_micros_per_mtok, markup_bp, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, d.deployment());
            ps.setString(2, d.deploymentClass().wire());
            ps.setTimestamp(3, Timestamp.from(effectiveFrom));
            ps.setLong(4, d.providerPrices().inputMicrosPerMTok());
            ps.setLong(5, d.providerPrices().outputMicrosPerMTok());
            ps.setLong(6, d.providerPrices().cachedInputMicrosPerMTok());
            if (d.listPrices().isPresent()) {
                ps.setLong(7, d.listPrices().get().inputMicrosPerMTok());
                ps.setLong(8, d.listPrices().get().outputMicrosPerMTok());
                ps.setLong(9, d.listPrices().get().cachedInputMicrosPerMTok());
            } else {
                ps.setNull(7, java.sql.Types.BIGINT);
                ps.setNull(8, java.sql.Types.BIGINT);
                ps.setNull(9, java.sql.Types.BIGINT);
            }
            ps.setInt(10, markupBp);
            ps.setString(11, source);
            ps.executeUpdate();
        }
    }

    private static Map<String, TreeMap<Instant, PriceVersion>> load(Connection c) throws SQLException {
        Map<String, TreeMap<Instant, PriceVersion>> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM price_versions ORDER BY deployment, effective_from");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                PriceVersion v = read(rs);
                out.computeIfAbsent(v.deployment(), k -> new TreeMap<>(Comparator.naturalOrder())).put(v.effectiveFrom(), v);
            }
        }
        return Map.copyOf(out);
    }

    private static PriceVersion read(ResultSet rs) throws SQLException {
        TokenPrices provider = new TokenPrices(rs.getLong(5), rs.getLong(6), rs.getLong(7));
        long listInput = rs.getLong(8);
        Optional<TokenPrices> list = rs.wasNull() ? Optional.empty()
                : Optional.of(new TokenPrices(listInput, rs.getLong(9), rs.getLong(10)));
        return new PriceVersion(rs.getLong(1), rs.getString(2), DeploymentClass.fromWire(rs.getString(3)),
                rs.getTimestamp(4).toInstant(), provider, list, rs.getInt(11));
    }
}
