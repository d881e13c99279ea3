package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.Tx;
import dev.llmgateway.metering.internal.usage.UsageEventCodec;
import dev.llmgateway.metering.internal.usage.UsageEventSql;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Records PostgreSQL refused, set aside so that they never block the others: usage records the usage writer could not
 * insert ({@link Kind#USAGE}) and stored usage the ledger poster could not post ({@link Kind#LEDGER}). Each keeps the
 * record (its journal bytes) and the reason; an operator lists them, replays one once the cause is fixed, or discards
 * it; every action lands in an audit trail. When PostgreSQL refuses even the dead-letter row, the record goes to an
 * append-only file next to the journal instead ({@link #fileRecords()} counts them).
 */
public final class DeadLetters {
    private static final System.Logger LOG = System.getLogger(DeadLetters.class.getName());
    /** Longest reason kept (PostgreSQL messages can quote the refused value). */
    static final int REASON_MAX_CHARS = 2000;

    /** What kind of work was refused. */
    public enum Kind {
        USAGE, LEDGER;

        public String wire() { return name().toLowerCase(); }

        static Kind fromWire(String s) { return valueOf(s.toUpperCase()); }
    }

    /** Where a dead letter stands. */
    public enum Status {
        OPEN, REPLAYED, DISCARDED;

        public String wire() { return name().toLowerCase(); }

        static Status fromWire(String s) { return valueOf(s.toUpperCase()); }
    }

    /** One dead letter, with the usage event it carries. */
    public record Letter(long id, Kind kind, String requestId, UsageEvent event, String reason, String sqlState,
                         Instant createdAt, Status status, Instant resolvedAt, String resolvedBy) {}

    /** One action on a dead letter: who did what, when. */
    public record AuditEntry(long deadLetterId, String action, String actor, Instant at, String detail) {}

    /** What a replay did: stored (or posted) now, or refused again with the reason (the letter stays open). */
    public sealed interface ReplayResult {
        record Replayed(Letter letter) implements ReplayResult {}
        record RefusedAgain(Letter letter, String reason) implements ReplayResult {}
        record NotOpen(Letter letter) implements ReplayResult {}
    }

    private final DataSource db;
    private final Path file;
    private final AtomicLong created = new AtomicLong();
    private final AtomicLong fileRecords = new AtomicLong();

    /** {@code file}: where records go that PostgreSQL refuses even as a dead letter. */
    public DeadLetters(DataSource db, Path file) {
        this.db = db;
        this.file = file;
    }

    /** Dead letters this process set aside (rows and file lines) since start. */
    public long created() { return created.get(); }

    /** Records this process wrote to the dead-letter file since start. */
    public long fileRecords() { return fileRecords.get(); }

    public Path file() { return file; }

    /**
     * Sets a refused record aside on {@code c} (auto-commit). Idempotent per (kind, request id) while open. When the row
     * itself is refused, the record goes to the file. Throws a transient SQLException (the caller retries later).
     */
    /** Where {@link #record} put a refused record. */
    enum Placement { TABLE, FILE }

    Placement record(Connection c, Kind kind, UsageEvent e, SQLException cause) throws SQLException, IOException {
        String reason = clean(String.valueOf(cause.getMessage()));
        if (reason.length() > REASON_MAX_CHARS) reason = reason.substring(0, REASON_MAX_CHARS);
        byte[] payload = UsageEventCodec.encode(e);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO dead_letters (kind, request_id, payload, reason, sql_state) "
                + "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, request_id) WHERE status = 'open' DO NOTHING RETURNING id")) {
            ps.setString(1, kind.wire());
            ps.setString(2, clean(e.requestId()));
            ps.setBytes(3, payload);
            ps.setString(4, reason);
            ps.setString(5, cause.getSQLState());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    audit(c, rs.getLong(1), "created", "gateway", reason);
                    created.incrementAndGet();
                }
            }
            LOG.log(System.Logger.Level.ERROR, "%s record of request %s refused by PostgreSQL and set aside as a dead letter: %s"
                    .formatted(kind.wire(), clean(e.requestId()), reason));
            return Placement.TABLE;
        } catch (SQLException refused) {
            if (DatabaseFailures.isTransient(refused)) throw refused;
            appendToFile(kind, e.requestId(), payload, reason + " / dead-letter row refused: " + clean(String.valueOf(refused.getMessage())));
            return Placement.FILE;
        }
    }

    private synchronized void appendToFile(Kind kind, String requestId, byte[] payload, String reason) throws IOException {
        String line = Instant.now() + "\t" + kind.wire() + "\t" + Base64.getEncoder().encodeToString(clean(requestId).getBytes(StandardCharsets.UTF_8))
                + "\t" + Base64.getEncoder().encodeToString(payload) + "\t" + reason.replace('\t', ' ').replace('\n', ' ') + "\n";
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        fileRecords.incrementAndGet();
        created.incrementAndGet();
        LOG.log(System.Logger.Level.ERROR, "%s record of request %s refused by PostgreSQL even as a dead letter; kept in %s"
                .formatted(kind.wire(), clean(requestId), file));
    }

    /** Dead letters, newest first; {@code status} empty means all. */
    public List<Letter> list(Optional<Status> status, int limit) {
        String sql = "SELECT id, kind, request_id, payload, reason, sql_state, created_at, status, resolved_at, resolved_by "
                + "FROM dead_letters " + (status.isPresent() ? "WHERE status = ? " : "") + "ORDER BY id DESC LIMIT ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            if (status.isPresent()) ps.setString(p++, status.get().wire());
            ps.setInt(p, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<Letter> out = new ArrayList<>();
                while (rs.next()) out.add(letter(rs));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("listing dead letters", e);
        }
    }

    public Optional<Letter> get(long id) {
        try (Connection c = db.getConnection()) {
            return get(c, id, false);
        } catch (SQLException e) {
            throw new StoreException("reading dead letter " + id, e);
        }
    }

    /** Open dead letters (all replicas). */
    public long openCount() {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM dead_letters WHERE status = 'open'");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new StoreException("counting dead letters", e);
        }
    }

    /** The audit trail of one dead letter, oldest first. */
    public List<AuditEntry> audit(long id) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT dead_letter_id, action, actor, at, detail FROM dead_letter_audit WHERE dead_letter_id = ? ORDER BY id")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                List<AuditEntry> out = new ArrayList<>();
                while (rs.next()) out.add(new AuditEntry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant(), rs.getString(5)));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading the audit of dead letter " + id, e);
        }
    }

    /**
     * Tries the record again, as the work that refused it: a usage letter is inserted into usage_events (skipped if its
     * request id is stored meanwhile), a ledger letter is posted. Replayed: the letter is closed. Refused again: it
     * stays open, with the new reason in the audit trail. {@code actor} names who asked (kept in the audit).
     */
    public ReplayResult replay(long id, String actor, LedgerPoster poster) {
        try {
            ReplayResult result = Tx.inTransaction(db, c -> {
                Optional<Letter> found = get(c, id, true);
                if (found.isEmpty()) throw new IllegalArgumentException("no dead letter " + id);
                Letter l = found.get();
                if (l.status() != Status.OPEN) return new ReplayResult.NotOpen(l); // changed nothing
                String refused = null;
                try (var sp = new SavepointScope(c)) {
                    switch (l.kind()) {
                        case USAGE -> UsageEventSql.insertNew(c, List.of(l.event()));
                        case LEDGER -> {
                            // Posting uses its own transaction and is idempotent per request id.
                            LedgerPoster.PostReport r = poster.post(List.of(l.event()));
                            if (!r.unposted().isEmpty()) refused = "not posted: " + r.unposted().getFirst().reason();
                        }
                    }
                    sp.release();
                } catch (SQLException e) {
                    if (DatabaseFailures.isTransient(e)) throw e;
                    refused = clean(String.valueOf(e.getMessage()));
                } catch (StoreException e) {
                    if (DatabaseFailures.isTransient(e)) throw e;
                    refused = clean(String.valueOf(e.getMessage()));
                }
                if (refused != null) {
                    audit(c, id, "replay_failed", actor, refused);
                    return new ReplayResult.RefusedAgain(l, refused);
                }
                resolve(c, id, Status.REPLAYED, actor);
                audit(c, id, "replayed", actor, "");
                return new ReplayResult.Replayed(l); // read again below, once committed
            });
            return result instanceof ReplayResult.Replayed ? new ReplayResult.Replayed(get(id).orElseThrow()) : result;
        } catch (SQLException e) {
            throw new StoreException("replaying dead letter " + id, e);
        }
    }

    /** Closes an open dead letter without storing it; {@code reason} goes to the audit trail. False when not open. */
    public boolean discard(long id, String actor, String reason) {
        try {
            return Tx.inTransaction(db, c -> {
                Optional<Letter> l = get(c, id, true);
                if (l.isEmpty()) throw new IllegalArgumentException("no dead letter " + id);
                if (l.get().status() != Status.OPEN) return false; // changed nothing
                resolve(c, id, Status.DISCARDED, actor);
                audit(c, id, "discarded", actor, reason == null ? "" : clean(reason));
                return true;
            });
        } catch (SQLException e) {
            throw new StoreException("discarding dead letter " + id, e);
        }
    }

    private static void resolve(Connection c, long id, Status status, String actor) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE dead_letters SET status = ?, resolved_at = now(), resolved_by = ? WHERE id = ?")) {
            ps.setString(1, status.wire());
            ps.setString(2, clean(actor));
            ps.setLong(3, id);
            ps.executeUpdate();
        }
    }

    private static void audit(Connection c, long id, String action, String actor, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO dead_letter_audit (dead_letter_id, action, actor, detail) VALUES (?, ?, ?, ?)")) {
            ps.setLong(1, id);
            ps.setString(2, action);
            ps.setString(3, clean(actor));
            ps.setString(4, detail);
            ps.executeUpdate();
        }
    }

    private static Optional<Letter> get(Connection c, long id, boolean forUpdate) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, kind, request_id, payload, reason, sql_state, created_at, status, "
                + "resolved_at, resolved_by FROM dead_letters WHERE id = ?" + (forUpdate ? " FOR UPDATE" : ""))) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(letter(rs)) : Optional.empty();
            }
        }
    }

    private static Letter letter(ResultSet rs) throws SQLException {
        var resolved = rs.getTimestamp(9);
        return new Letter(rs.getLong(1), Kind.fromWire(rs.getString(2)), rs.getString(3),
                UsageEventCodec.decode(ByteBuffer.wrap(rs.getBytes(4))), rs.getString(5), rs.getString(6),
                rs.getTimestamp(7).toInstant(), Status.fromWire(rs.getString(8)), resolved == null ? null : resolved.toInstant(),
                rs.getString(10));
    }

    /** Text PostgreSQL can hold: NUL and unpaired surrogates become U+FFFD. */
    static String clean(String s) {
        if (s == null) return "";
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean bad = ch == 0
                    || (Character.isHighSurrogate(ch) && (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))))
                    || (Character.isLowSurrogate(ch) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1))));
            if (bad && sb == null) sb = new StringBuilder(s.substring(0, i));
            if (sb != null) sb.append(bad ? '\uFFFD' : ch);
        }
        return sb == null ? s : sb.toString();
    }

    /** A savepoint released on success, rolled back to otherwise (the letter's transaction carries on). */
    private static final class SavepointScope implements AutoCloseable {
        private final Connection c;
        private final java.sql.Savepoint sp;
        private boolean released;

        SavepointScope(Connection c) throws SQLException {
            this.c = c;
            this.sp = c.setSavepoint();
        }

        void release() throws SQLException {
            c.releaseSavepoint(sp);
            released = true;
        }

        @Override
        public void close() throws SQLException {
            if (!released) c.rollback(sp);
        }
    }
}
