package dev.llmgateway.metering.internal.ledger;

import dev.llmgateway.metering.Invariants;
import dev.llmgateway.metering.LedgerEntry;
import dev.llmgateway.metering.MicroUsd;
import dev.llmgateway.metering.UseClass;
import java.time.Instant;
import java.time.YearMonth;
import java.util.List;

/** A ledger transaction about to be inserted; checks that it balances when built. Nullable: requestId, reversesTxId, teamId, useClass, deployment. */
public record PendingTransaction(String idempotencyKey, String kind, String requestId, Long reversesTxId, YearMonth period,
                                 YearMonth usagePeriod, Instant usageTime, String teamId, UseClass useClass, String deployment,
                                 String licenseId, int licenseVersion, String authorId, long promptTokens,
                                 long completionTokens, int requests, String memo, List<LedgerEntry> entries) {
    public PendingTransaction {
        entries = List.copyOf(entries);
        MicroUsd debits = MicroUsd.ZERO, credits = MicroUsd.ZERO;
        for (LedgerEntry e : entries) {
            if (e.side() == LedgerEntry.Side.DEBIT) debits = debits.plus(e.amountMicros());
            else credits = credits.plus(e.amountMicros());
        }
        Invariants.check(debits.equals(credits), "transaction " + idempotencyKey + " balances: debits " + debits + " credits " + credits);
    }
}
