package dev.vmem.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a line of {@code vmem shell} into words as a POSIX shell would for the cases a command needs:
 * blanks separate words; '...' keeps everything inside; "..." keeps everything but a backslash before
 * {@code "} or {@code \}; outside quotes a backslash keeps the next character; {@code #} at the start of a
 * word begins a comment. Nothing is expanded.
 */
final class ShellWords {
    private ShellWords() {
    }

    /** The words of {@code line}; throws IllegalArgumentException for an unclosed quote or a trailing backslash. */
    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else if (c == '#' && !inWord) {
                break;
            } else if (c == '\'') {
                int end = closing(line, i, '\'');
                word.append(line, i + 1, end);
                i = end;
                inWord = true;
            } else if (c == '"') {
                int end = closing(line, i, '"');
                for (int j = i + 1; j < end; j++) {
                    char d = line.charAt(j);
                    if (d == '\\' && j + 1 < end && (line.charAt(j + 1) == '"' || line.charAt(j + 1) == '\\')) {
                        d = line.charAt(++j);
                    }
                    word.append(d);
                }
                i = end;
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 == line.length()) {
                    throw new IllegalArgumentException("a backslash ends the line: " + line);
                }
                word.append(line.charAt(++i));
                inWord = true;
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    /** Where the quote opened at {@code open} closes; in double quotes, a backslash-escaped quote does not. */
    private static int closing(String line, int open, char quote) {
        for (int j = open + 1; j < line.length(); j++) {
            char d = line.charAt(j);
            if (quote == '"' && d == '\\') {
                j++;
            } else if (d == quote) {
                return j;
            }
        }
        throw new IllegalArgumentException("unclosed " + quote + " at column " + (open + 1) + ": " + line);
    }
}
