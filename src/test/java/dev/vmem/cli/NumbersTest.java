package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** How the command reads a number: decimal or 0x hex, each with an optional K, M, G or T (powers of 1024). */
class NumbersTest {
    @Test
    void decimalHexAndSizeSuffixes() {
        assertEquals(0, Numbers.parse("0"));
        assertEquals(4096, Numbers.parse("4k"));
        assertEquals(65536, Numbers.parse("64K"));
        assertEquals(3L << 20, Numbers.parse("3M"));
        assertEquals(1L << 30, Numbers.parse("1g"));
        assertEquals(2L << 40, Numbers.parse("2T"));
        assertEquals(16L << 20, Numbers.parse("0x10M"));
        assertEquals(0xabc, Numbers.parse(" 0xABC "));
        assertEquals(-16, Numbers.parse("-0x10"));
        assertEquals(Long.MAX_VALUE, Numbers.parse("0x7fffffffffffffff"));
        assertEquals(1L << 62, Numbers.parse("4194304T"), "2^22 T = 2^62 fits");
    }

    @ParameterizedTest
    @ValueSource(strings = {"12abc", "0x", "k", "", "8E", "1.5M", "8388608T", "0x8000000000000000", "9223372036854775808",
            "1KK", "0x7fffffffffffffffK"})
    void anythingElse_isRefused_namingTheText(String text) {
        CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class,
                () -> Numbers.parse(text));
        assertTrue(e.getMessage().startsWith("'" + text + "' is not a number"), e.getMessage());
    }

    @Test
    void counts_areNumbersFromOneToIntMax() {
        Numbers.Count count = new Numbers.Count();
        assertEquals(1024, count.convert("1k"));
        assertEquals(0x10, count.convert("0x10"));
        assertEquals(Integer.MAX_VALUE, count.convert("2147483647"));
        for (String bad : new String[] {"0", "-1", "2G", "2147483648"}) {
            CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class,
                    () -> count.convert(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
