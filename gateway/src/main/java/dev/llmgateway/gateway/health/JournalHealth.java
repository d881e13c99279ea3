package dev.llmgateway.gateway.health;

import dev.llmgateway.gateway.metering.Metering;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The usage journal: DOWN (not ready) while it cannot take records (full, or a write failed and no probe has passed
 * since), since new requests are then refused; it turns UP by itself when the journal accepts writes again. With
 * {@code gateway.on-journal-failure=serve-unmetered} it stays UP with a warning. Also shows records waiting for
 * PostgreSQL and dead letters (records PostgreSQL refused, set aside).
 */
@Readiness
@ApplicationScoped
public class JournalHealth implements HealthCheck {
    @Inject dev.llmgateway.metering.LedgerPoster ledger;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    @Override
    public HealthCheckResponse call() {
        var m = metering;
        boolean full = m.journalFull();
        var b = HealthCheckResponse.named("usage-journal")
                .withData("accepting_records", !full)
                .withData("unstored_records", m.journal().unstoredRecords())
                .withData("bytes", m.journal().totalBytes())
                .withData("max_bytes", m.journal().maxTotalBytes())
                .withData("write_failures", m.journal().writeFailures())
                .withData("writer_failures", m.writer().failures())
                .withData("dead_lettered_since_start", m.writer().deadLettered() + ledger.deadLettered())
                .withData("dead_letter_file_records", m.writer().deadLetters().fileRecords())
                .withData("unmetered_answers", m.unmeteredAnswers());
        try {
            long open = m.writer().deadLetters().openCount();
            b = b.withData("dead_letters_open", open);
            if (open > 0) b = b.withData("dead_letters", open + " record(s) refused by PostgreSQL wait in /admin/dead-letters");
        } catch (RuntimeException e) {
            b = b.withData("dead_letters_open", "unknown (database unreachable)");
        }
        if (m.journal().failureMessage().isPresent()) {
            b = b.withData("journal_error", m.journal().failureMessage().get());
        }
        if (m.journal().unstoredRecords() > 0 && m.writer().lastError().isPresent()) {
            b = b.withData("warning", "usage records are waiting for PostgreSQL: " + m.writer().lastError().get());
        }
        if (full && m.onJournalFailure() == Metering.OnJournalFailure.SERVE_UNMETERED) {
            return b.withData("warning", "the usage journal cannot take records: answers are served UNMETERED "
                    + "(gateway.on-journal-failure=serve-unmetered)").up().build();
        }
        return b.status(!full).build();
    }
}
