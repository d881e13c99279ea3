package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.Tx;
import dev.llmgateway.metering.internal.ledger.TermsSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Authors, their licenses and each license's versioned, effective-dated terms, in PostgreSQL. */
public final class LicenseRegistry {
    private final DataSource db;

    public LicenseRegistry(DataSource db) { this.db = db; }

    /** Outcome of creating an author or a license. */
    public enum CreateResult { CREATED, ALREADY_EXISTS, UNKNOWN_AUTHOR }

    public CreateResult createAuthor(Author a) {
        String sql = "INSERT INTO authors (id, name, payout_reference) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, a.id());
            ps.setString(2, a.name());
            ps.setString(3, a.payoutReference());
            return ps.executeUpdate() == 1 ? CreateResult.CREATED : CreateResult.ALREADY_EXISTS;
        } catch (SQLException e) {
            throw new StoreException("creating author " + a.id(), e);
        }
    }

    public List<Author> authors() {
        return query("SELECT id, name, payout_reference FROM authors ORDER BY id", null, "listing authors",
                rs -> new Author(rs.getString(1), rs.getString(2), rs.getString(3)));
    }

    public Optional<Author> author(String id) {
        return query("SELECT id, name, payout_reference FROM authors WHERE id = ?", id, "reading author " + id,
                rs -> new Author(rs.getString(1), rs.getString(2), rs.getString(3))).stream().findFirst();
    }

    /** Creates a license of an existing author. */
    public CreateResult createLicense(License l) {
        String sql = "INSERT INTO licenses (id, author_id, name, source_url) SELECT ?, a.id, ?, ? FROM authors a "
                + "WHERE a.id = ? ON CONFLICT (id) DO NOTHING";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, l.id());
            ps.setString(2, l.name());
            ps.setString(3, l.sourceUrl());
            ps.setString(4, l.authorId());
            if (ps.executeUpdate() == 1) return CreateResult.CREATED;
            return license(l.id()).isPresent() ? CreateResult.ALREADY_EXISTS : CreateResult.UNKNOWN_AUTHOR;
        } catch (SQLException e) {
            throw new StoreException("creating license " + l.id(), e);
        }
    }

    public List<License> licenses() {
        return query("SELECT id, author_id, name, source_url FROM licenses ORDER BY id", null, "listing licenses",
                rs -> new License(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
    }

    public Optional<License> license(String id) {
        return query("SELECT id, author_id, name, source_url FROM licenses WHERE id = ?", id, "reading license " + id,
                rs -> new License(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4))).stream().findFirst();
    }

    /**
     * Adds the next version of a license's terms, in force from {@code effectiveFrom} (microsecond precision).
     * Usage already posted keeps the version it was posted under; a new version affects usage posted afterwards.
     */
    public LicenseTerms addTerms(String licenseId, Instant effectiveFrom, LicenseConditions conditions) {
        Instant from = effectiveFrom.truncatedTo(ChronoUnit.MICROS);
        try {
            return Tx.inTransaction(db, c -> {
                try (PreparedStatement lock = c.prepareStatement("SELECT id FROM licenses WHERE id = ? FOR UPDATE")) {
                    lock.setString(1, licenseId);
                    try (ResultSet rs = lock.executeQuery()) {
                        if (!rs.next()) throw new IllegalArgumentException("unknown license '" + licenseId + "'");
                    }
                }
                int version;
                try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(version), 0) + 1 FROM license_terms WHERE license_id = ?")) {
                    ps.setString(1, licenseId);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        version = rs.getInt(1);
                    }
                }
                LicenseTerms t = new LicenseTerms(licenseId, version, from, conditions);
                TermsSql.insert(c, t);
                return t;
            });
        } catch (SQLException e) {
            throw new StoreException("adding terms to license " + licenseId, e);
        }
    }

    /** Every version of a license's terms, oldest first. */
    public List<LicenseTerms> terms(String licenseId) {
        return query("SELECT " + TermsSql.COLUMNS + " FROM license_terms WHERE license_id = ? ORDER BY effective_from",
                licenseId, "reading terms of license " + licenseId, TermsSql::read);
    }

    /** The terms in force for a license at an instant: the version with the latest {@code effectiveFrom <= at}. */
    public Optional<LicenseTerms> termsAt(String licenseId, Instant at) {
        String sql = "SELECT " + TermsSql.COLUMNS + " FROM license_terms WHERE license_id = ? AND effective_from <= ? "
                + "ORDER BY effective_from DESC LIMIT 1";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, licenseId);
            ps.setTimestamp(2, java.sql.Timestamp.from(at));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(TermsSql.read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading terms of license " + licenseId, e);
        }
    }

    private interface Row<T> { T read(ResultSet rs) throws SQLException; }

    private <T> List<T> query(String sql, String param, String what, Row<T> row) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (param != null) ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) out.add(row.read(rs));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException(what, e);
        }
    }
}
