package dev.llmgateway.metering;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/**
 * Tells a transient database failure (worth retrying the same work: the server is down, restarting, out of resources,
 * a timeout, a lock or serialization conflict) from a refusal of the data itself (a constraint, a value PostgreSQL cannot
 * hold), which retrying never fixes and which is therefore set aside as a dead letter.
 */
public final class DatabaseFailures {
    private DatabaseFailures() {}

    /** True unless the failure is a PostgreSQL refusal of the data (anything unrecognised counts as transient). */
    public static boolean isTransient(Throwable t) {
        SQLException sql = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException s) {
                sql = s;
                break;
            }
        }
        if (sql == null) return true; // I/O, interrupted, pool exhausted...: nothing says the data is at fault
        if (sql instanceof SQLTransientException || sql instanceof SQLRecoverableException) return true;
        String state = sql.getSQLState();
        if (state == null || state.length() != 5) return true;
        String cls = state.substring(0, 2);
        return switch (cls) {
            case "08", // connection exception
                 "53", // insufficient resources (disk full, out of memory, too many connections)
                 "58", // system error (I/O error in the server)
                 "40", // serialization failure, deadlock
                 "HV", "XX" -> true; // foreign data wrapper errors, internal error: not the record's fault
            case "57" -> true; // operator intervention: admin shutdown, crash shutdown, cannot connect now, statement timeout
            case "55" -> state.equals("55P03") || state.equals("55006"); // lock not available, object in use
            default -> false; // 22 data exception, 23 integrity constraint, 42 syntax/undefined, P0 raised by a trigger, ...
        };
    }
}
