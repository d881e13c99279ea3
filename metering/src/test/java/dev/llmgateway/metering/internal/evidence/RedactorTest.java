package dev.llmgateway.metering.internal.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import dev.llmgateway.metering.internal.evidence.Redactor.Rules;
import java.util.regex.Pattern;
import static dev.llmgateway.metering.Gens.stringOf;

import java.util.List;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RedactorTest {
    /** Independent definition of "an e-mail-shaped substring" (no possessive quantifiers, no boundaries). */
    private static final Pattern EMAIL_REFERENCE = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");

    private static String all(String s) { return Redactor.redact(s, Rules.ALL); }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "mail jane.doe@example.com now | mail [EMAIL] now",
            "<JOHN+tag@mail.co.uk>, ok | <[EMAIL]>, ok",
            "a@b.cc@d.ee | [EMAIL]@d.ee",
            "a@b.cc-x@d.ee | [EMAIL][EMAIL]",
            "user@localhost is no address | user@localhost is no address",
            "key sk-proj-AbC123xyz_0987654321 here | key [KEY] here",
            "sk-ant-api03-abcdefghijklmnop | [KEY]",
            "gw-q9X2kLmN0pQrStUvWx1yZ2aB3cD4eF5g | [KEY]",
            "xoxb-123456789012-abcdefghij | [KEY]",
            "AKIAIOSFODNN7EXAMPLE. | [KEY].",
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c | Bearer [KEY]",
            "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 | sha [KEY]",
            "token dGhpcyBpcyBhIHNlY3JldCB0b2tlbiAxMjM0NTY3ODkw== | token [KEY]",
            "call +33 6 12 34 56 78 today | call [PHONE] today",
            "(555) 123-4567 | [PHONE]",
            "tel:+1-202-555-0143; | tel:[PHONE];",
            "020 7946 0958 | [PHONE]",
            "on 2025-06-01 10:00:00 UTC | on 2025-06-01 10:00:00 UTC",
            "from 192.168.100.200 | from 192.168.100.200",
            "pi is 3.14159265358 | pi is 3.14159265358",
            "order 12345 of 3 items | order 12345 of 3 items",
            "a 16-digit card 4111111111111111 | a 16-digit card 4111111111111111",
            "Pneumonoultramicroscopicsilicovolcanoconiosis | Pneumonoultramicroscopicsilicovolcanoconiosis",
            "this_is_a_very_long_identifier_name_v2_final | this_is_a_very_long_identifier_name_v2_final",
            "uuid 123e4567-e89b-12d3-a456-426614174000 | uuid 123e4567-e89b-12d3-a456-426614174000",
            "skip-this-word | skip-this-word",
            "`` | ``",
    })
    void redactsKnownShapesAndLeavesLookAlikes(String input, String expected) {
        assertThat(all(input)).isEqualTo(expected);
    }

    @Test
    void onlyTheEnabledRulesApply() {
        String s = "jane@example.com sk-abcdefghijkl +33 6 12 34 56 78";
        assertThat(Redactor.redact(s, Rules.NONE)).isEqualTo(s);
        assertThat(Redactor.redact(s, new Rules(true, false, false))).isEqualTo("[EMAIL] sk-abcdefghijkl +33 6 12 34 56 78");
        assertThat(Redactor.redact(s, new Rules(false, true, false))).isEqualTo("jane@example.com [KEY] +33 6 12 34 56 78");
        assertThat(Redactor.redact(s, new Rules(false, false, true))).isEqualTo("jane@example.com sk-abcdefghijkl [PHONE]");
    }

    @Test
    void hugeInputsTakeLinearTime() {
        String[] fillers = {"a", "1", "a.", "a@", "1 ", "-", "aB3", "@a."};
        for (String f : fillers) {
            String big = f.repeat(200_000 / f.length());
            long start = System.nanoTime();
            all(big);
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms for '%s'", f).isLessThan(2_000);
        }
    }

    @Test
    void neverLeavesAnEmailShapedSubstring() {
        qt().withExamples(400).forAll(emailSoup()).checkAssert(RedactorTest::noEmailShapeLeft);
    }

    private static void noEmailShapeLeft(String text) {
        assertThat(EMAIL_REFERENCE.matcher(Redactor.redact(text, new Rules(true, false, false))).find()).isFalse();
        assertThat(EMAIL_REFERENCE.matcher(all(text)).find()).isFalse();
    }

    @Test
    void embeddedEmailsKeysAndPhonesAreRemovedAndTheWordsAroundThemKept() {
        qt().withExamples(300).forAll(words(), secrets(), words()).checkAssert(RedactorTest::secretRemovedWordsKept);
    }

    private static void secretRemovedWordsKept(String before, String secret, String after) {
        String out = all(before + " " + secret + " " + after);
        assertThat(out).doesNotContain(secret).startsWith(before + " ").endsWith(" " + after);
    }

    @Test
    void proseWithoutSensitiveShapesIsUnchanged() {
        qt().withExamples(300).forAll(words()).checkAssert(RedactorTest::proseUnchanged);
    }

    private static void proseUnchanged(String text) {
        assertThat(all(text)).isEqualTo(text);
    }

    @Test
    void redactingTwiceChangesNothingMore() {
        qt().withExamples(300).forAll(emailSoup()).checkAssert(RedactorTest::idempotent);
    }

    private static void idempotent(String text) {
        assertThat(all(all(text))).isEqualTo(all(text));
    }

    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
    private static final String ALNUM = LOWER + LOWER.toUpperCase(java.util.Locale.ROOT) + "0123456789";

    static Gen<String> emailSoup() {
        // Characters at random, mixed with e-mail shapes of the same alphabet glued by short fragments of it, which
        // gives touching and chained shapes (a@b.cc-x@d.ee: removing one exposes the next) far more often.
        Gen<String> chars = stringOf("ab1Z.-_+@ %:", 0, 40);
        Gen<String> email = stringOf("ab1Z", 1, 3).zip(stringOf("ab1Z-", 1, 3), stringOf("abZ", 2, 3),
                (local, host, tld) -> local + "@" + host + "." + tld);
        Gen<String> runs = lists().of(Generate.oneOf(stringOf("ab1Z.-_+@ %:", 0, 3), email)).ofSizeBetween(0, 8)
                .map(parts -> String.join("", parts));
        return chars.mix(runs);
    }

    static Gen<String> words() {
        return lists().of(stringOf(LOWER, 1, 12)).ofSizeBetween(1, 8).map(ws -> String.join(" ", ws));
    }

    static Gen<String> secrets() {
        Gen<String> alnum = stringOf(ALNUM, 1, 12);
        Gen<String> email = alnum.zip(alnum, stringOf(LOWER, 2, 6), (local, host, tld) -> local + "@" + host + "." + tld);
        Gen<String> key = Generate.pick(List.of("sk-", "sk-proj-", "gw-", "pk_"))
                .zip(stringOf(ALNUM + "_", 8, 60), (p, body) -> p + body);
        Gen<String> hex = stringOf("0123456789abcdef", 32, 80);
        Gen<String> base64 = stringOf(ALNUM, 29, 80).map(s -> "Ab1" + s);
        Gen<String> phone = Generate.pick(List.of("+1 ", "+33 ", "+44 ", "", "0")).zip(integers().between(100, 999),
                integers().between(100, 999), integers().between(1000, 9999), Generate.pick(List.of(" ", "-", ".")),
                (cc, a, b, c, sep) -> cc + a + sep + b + sep + c);
        return Generate.oneOf(email, key, hex, base64, phone);
    }
}
