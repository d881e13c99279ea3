package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CsvCellTest {
    @Test
    void formulaTriggersAreNeutralizedWithAQuoteAndQuoted() {
        assertThat(CsvCell.of("=HYPERLINK(\"http://evil\",\"x\")")).isEqualTo("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"");
        assertThat(CsvCell.of("+1+cmd")).isEqualTo("\"'+1+cmd\"");
        assertThat(CsvCell.of("-2+3")).isEqualTo("\"'-2+3\"");
        assertThat(CsvCell.of("@SUM(A1)")).isEqualTo("\"'@SUM(A1)\"");
        assertThat(CsvCell.of("\tx")).isEqualTo("\"'\tx\"");
        assertThat(CsvCell.of("\rx")).isEqualTo("\"'\rx\"");
    }

    @Test
    void ordinaryValuesAndPlainNumbersAreUnchanged() {
        assertThat(CsvCell.of("team-a")).isEqualTo("team-a");
        assertThat(CsvCell.of("-1250")).isEqualTo("-1250");
        assertThat(CsvCell.of("-0.000075")).isEqualTo("-0.000075");
        assertThat(CsvCell.of("a,b")).isEqualTo("\"a,b\"");
        assertThat(CsvCell.of("")).isEmpty();
        assertThat(CsvCell.of(null)).isEmpty();
    }

    /** Against a reference: parsing the cell back (RFC 4180) gives the value, with a leading quote exactly when dangerous. */
    @Test
    void randomValuesRoundTripAndNeverStartAFormula() {
        Random r = new Random(13);
        String alphabet = "=+-@\t\r\n,\"a1. ";
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(8);
            for (int i = 0; i < len; i++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            String value = sb.toString();
            String cell = CsvCell.of(value);
            String parsed = cell.startsWith("\"") ? cell.substring(1, cell.length() - 1).replace("\"\"", "\"") : cell;
            boolean dangerous = "=+-@\t\r".indexOf(value.charAt(0)) >= 0 && !value.matches("-?\\d+(\\.\\d+)?");
            assertThat(parsed).as(value).isEqualTo(dangerous ? "'" + value : value);
            assertThat("=+-@\t\r".indexOf(parsed.charAt(0)) < 0 || value.matches("-?\\d+(\\.\\d+)?")).as(value).isTrue();
        }
    }
}
