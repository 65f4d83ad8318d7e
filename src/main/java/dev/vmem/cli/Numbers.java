package dev.vmem.cli;

import picocli.CommandLine;

/** Numbers on the command line: decimal, or hexadecimal with a 0x prefix. */
final class Numbers implements CommandLine.ITypeConverter<Long> {

    @Override
    public Long convert(String text) {
        return parse(text);
    }

    static long parse(String text) {
        String t = text.strip();
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseLong(t.substring(2), 16);
            }
            if (t.startsWith("-0x") || t.startsWith("-0X")) {
                return -Long.parseLong(t.substring(3), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text
                    + "' is not a number (decimal, or hexadecimal with 0x) that fits in 64 bits");
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
