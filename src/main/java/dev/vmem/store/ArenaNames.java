package dev.vmem.store;

import java.text.Normalizer;
import java.util.Objects;

/**
 * The one rule for arena names. A name given to create an arena, or to find one, is put in Unicode NFC form
 * first, so that the composed and decomposed spellings of one name are one arena. A new name must be 1 to
 * {@link #MAX_CHARS} characters of printable text: no control or formatting characters (a tab or a newline
 * would break every listing), no line separators, no unassigned or private-use code points, no lone
 * surrogates, and no white space at either end. Names read back from a store are held to the older rule
 * they were created under (1 to 200 characters, not blank), so that no store stops opening.
 */
final class ArenaNames {
    static final int MAX_CHARS = 200;
    /** How much of a bad name an error message shows. */
    private static final int SHOWN_CHARS = 40;

    private ArenaNames() {
    }

    /** {@code name} in NFC form, for a lookup. */
    static String normal(String name) {
        Objects.requireNonNull(name, "name");
        return Normalizer.isNormalized(name, Normalizer.Form.NFC) ? name : Normalizer.normalize(name, Normalizer.Form.NFC);
    }

    /**
     * {@code name} in NFC form, checked as a new arena's name.
     *
     * @throws IllegalArgumentException naming the name (shortened, control characters escaped) and the rule
     */
    static String forNewArena(String name) {
        String n = normal(name);
        if (n.isEmpty() || n.length() > MAX_CHARS) {
            throw new IllegalArgumentException("arena name " + shown(n) + " must have 1 to " + MAX_CHARS
                    + " characters");
        }
        if (space(n.codePointAt(0)) || space(n.codePointBefore(n.length()))) {
            throw new IllegalArgumentException("arena name " + shown(n) + " starts or ends with white space");
        }
        for (int i = 0; i < n.length(); ) {
            int cp = n.codePointAt(i);
            if (!printable(cp)) {
                throw new IllegalArgumentException("arena name " + shown(n) + " holds U+"
                        + String.format("%04X", cp) + " at character " + i + ": names are printable text");
            }
            i += Character.charCount(cp);
        }
        return n;
    }

    /** As recovery checks a stored name: the rule names were created under before this one. */
    static void checkStored(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank() || name.length() > MAX_CHARS) {
            throw new IllegalArgumentException("arena name " + shown(name) + " must have 1 to " + MAX_CHARS
                    + " characters");
        }
    }

    /** White space of any kind, no-break spaces included. */
    private static boolean space(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    private static boolean printable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.UNASSIGNED, Character.PRIVATE_USE, Character.SURROGATE -> false;
            default -> true;
        };
    }

    /** A name for an error message: quoted, control characters escaped, and cut short when long. */
    static String shown(String name) {
        StringBuilder b = new StringBuilder("'");
        int end = Math.min(name.length(), SHOWN_CHARS);
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('\'');
        if (name.length() > SHOWN_CHARS) {
            b.append("... (").append(name.length()).append(" characters)");
        }
        return b.toString();
    }
}
