package dev.llmgateway.metering;

import java.util.regex.Pattern;

/**
 * One CSV cell (RFC 4180), safe to open in a spreadsheet: a value starting with {@code =}, {@code +}, {@code -},
 * {@code @}, tab or carriage return is prefixed with {@code '} and quoted, as OWASP recommends against CSV
 * injection, so a client-chosen {@code user} of {@code =HYPERLINK(...)} stays text. Plain numbers (a negative amount)
 * are left as they are: they are not formulas.
 */
public final class CsvCell {
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");

    private CsvCell() {}

    public static String of(String value) {
        if (value == null || value.isEmpty()) return "";
        char first = value.charAt(0);
        boolean formula = (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r')
                && !NUMBER.matcher(value).matches();
        String v = formula ? "'" + value : value;
        if (!formula && v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0 && v.indexOf('\r') < 0) return v;
        return '"' + v.replace("\"", "\"\"") + '"';
    }
}
