package dev.vmem.cli;

import picocli.CommandLine;

/**
 * Numbers on the command line: decimal, or hexadecimal with a 0x prefix, either with an optional binary size
 * suffix as in {@code dd} and {@code numfmt --from=iec}: K (or k) = 1024, M = 1024^2, G = 1024^3, T = 1024^4
 * ({@code 4k}, {@code 64K}, {@code 0x10M}). A value that does not fit in 64 bits is refused, naming it.
 */
final class Numbers implements CommandLine.ITypeConverter<Long> {

    @Override
    public Long convert(String text) {
        return parse(text);
    }

    static long parse(String text) {
        String t = text.strip();
        int shift = t.isEmpty() ? 0 : switch (Character.toUpperCase(t.charAt(t.length() - 1))) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        try {
            long value;
            if (digits.startsWith("0x") || digits.startsWith("0X")) {
                value = Long.parseLong(digits.substring(2), 16);
            } else if (digits.startsWith("-0x") || digits.startsWith("-0X")) {
                value = -Long.parseLong(digits.substring(3), 16);
            } else {
                value = Long.parseLong(digits);
            }
            return Math.multiplyExact(value, 1L << shift);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not a number (decimal, or hexadecimal"
                    + " with 0x, optionally with K, M, G or T for 1024^1..4) that fits in 64 bits");
        }
    }

    /** A count: a number as above, from 1 to {@link Integer#MAX_VALUE}. */
    static final class Count implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            long value = parse(text);
            if (value < 1 || value > Integer.MAX_VALUE) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not a count from 1 to "
                        + Integer.MAX_VALUE);
            }
            return (int) value;
        }
    }

    /** {@code BASE:SIZE}, for --span. */
    static final class Span implements CommandLine.ITypeConverter<long[]> {
        @Override
        public long[] convert(String text) {
            int colon = text.indexOf(':');
            if (colon < 0) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not BASE:SIZE");
            }
            return new long[] {parse(text.substring(0, colon)), parse(text.substring(colon + 1))};
        }
    }
}
