package dev.llmgateway.metering.internal.evidence;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Best-effort removal of personal data and secrets from text before it is stored for fine-tuning: e-mail addresses,
 * key-like strings and phone numbers are replaced by {@code [EMAIL]}, {@code [KEY]} and {@code [PHONE]}. Pure and
 * linear in the text's length (every pattern starts only at the boundary of a run of its characters). It misses
 * what does not look like these shapes (names, addresses, obfuscated or non-ASCII e-mails, short secrets) and may
 * redact harmless look-alikes (long numbers, long mixed-case identifiers).
 */
public final class Redactor {
    public static final String EMAIL = "[EMAIL]";
    public static final String KEY = "[KEY]";
    public static final String PHONE = "[PHONE]";

    /** Which kinds of data to remove. */
    public record Rules(boolean emails, boolean keys, boolean phones) {
        public static final Rules ALL = new Rules(true, true, true);
        public static final Rules NONE = new Rules(false, false, false);
    }

    /** An e-mail address: ASCII local part, {@code @}, dot-separated domain ending in a 2+ letter label. */
    public static final Pattern EMAIL_SHAPE = Pattern.compile(
            "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]++(?:\\.[A-Za-z0-9-]++)*\\.[A-Za-z]{2,}");

    /** Keys with a known prefix (OpenAI/Anthropic sk-, ours gw-, Stripe-like pk-/rk-, Slack xox*-), AWS ids, JWTs. */
    private static final Pattern PREFIXED_KEY = Pattern.compile(
            "(?<![A-Za-z0-9_-])(?:(?:sk|gw|pk|rk|xox[abpr])[-_][A-Za-z0-9_-]{8,}+"
                    + "|AKIA[0-9A-Z]{16}+"
                    + "|eyJ[A-Za-z0-9_-]{4,}+\\.[A-Za-z0-9_-]{4,}+\\.[A-Za-z0-9_-]*+)(?![A-Za-z0-9_-])");

    /** 32+ hex digits. */
    private static final Pattern HEX_TOKEN = Pattern.compile("(?<![0-9A-Za-z])[0-9a-fA-F]{32,}+(?![0-9A-Za-z])");

    /** 32+ base64/base64url characters; redacted only when upper case, lower case and digits all occur. */
    private static final Pattern BASE64_CANDIDATE = Pattern.compile("(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{32,}+=*+");

    /** A digit run with phone-like separators; redacted only when it holds 9..15 digits and is no date or IP. */
    private static final Pattern PHONE_CANDIDATE = Pattern.compile(
            "(?<![\\w.+-])\\+?\\(?\\d[\\d ().-]{6,24}\\d(?![\\w])");
    private static final Pattern DATE_INSIDE = Pattern.compile("\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}|\\d{1,2}[-/.]\\d{1,2}[-/.]\\d{4}");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(?:\\.\\d{1,3}){3}");
    private static final Pattern DECIMAL = Pattern.compile("\\d+\\.\\d+");

    private Redactor() {}

    public static String redact(String text, Rules rules) {
        String s = text;
        if (rules.emails()) s = emails(s);
        if (rules.keys()) s = keys(s);
        if (rules.phones()) s = phones(s);
        return s;
    }

    /** Repeats until no e-mail shape is left: a match can expose another (a@b.cc-x@d.ee); each pass removes an '@'. */
    static String emails(String s) {
        while (true) {
            String next = EMAIL_SHAPE.matcher(s).replaceAll(Matcher.quoteReplacement(EMAIL));
            if (next.equals(s)) return s;
            s = next;
        }
    }

    static String keys(String s) {
        s = PREFIXED_KEY.matcher(s).replaceAll(Matcher.quoteReplacement(KEY));
        s = HEX_TOKEN.matcher(s).replaceAll(Matcher.quoteReplacement(KEY));
        Matcher m = BASE64_CANDIDATE.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(looksRandom(m.group()) ? KEY : m.group()));
        m.appendTail(out);
        return out.toString();
    }

    static String phones(String s) {
        Matcher m = PHONE_CANDIDATE.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(looksLikePhone(m.group()) ? PHONE : m.group()));
        m.appendTail(out);
        return out.toString();
    }

    private static boolean looksRandom(String token) {
        boolean upper = false, lower = false, digit = false;
        for (int i = 0; i < token.length(); i++) {
            char ch = token.charAt(i);
            upper |= ch >= 'A' && ch <= 'Z';
            lower |= ch >= 'a' && ch <= 'z';
            digit |= ch >= '0' && ch <= '9';
        }
        return upper && lower && digit;
    }

    private static boolean looksLikePhone(String candidate) {
        int digits = 0;
        for (int i = 0; i < candidate.length(); i++) if (Character.isDigit(candidate.charAt(i))) digits++;
        if (digits < 9 || digits > 15) return false;
        if (candidate.contains("  ") || candidate.contains("..") || candidate.contains("--")) return false;
        return !DATE_INSIDE.matcher(candidate).find() && !IPV4.matcher(candidate).matches()
                && !DECIMAL.matcher(candidate).matches();
    }
}
