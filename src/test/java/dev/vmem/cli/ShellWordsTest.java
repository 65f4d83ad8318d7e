package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A shell line splits into the words sh would give a command, without any expansion. */
class ShellWordsTest {
    @Test
    void blanksSeparateWords_andRunsOfThemCountOnce() {
        assertEquals(List.of("alloc", "a", "64", "--count", "4"), ShellWords.split("  alloc a\t64   --count 4 "));
        assertEquals(List.of(), ShellWords.split(""));
        assertEquals(List.of(), ShellWords.split(" \t "));
    }

    @Test
    void quotesKeepBlanks_andJoinWithTheirNeighbours() {
        assertEquals(List.of("create", "my arena", "--quantum", "1"), ShellWords.split("create 'my arena' --quantum 1"));
        assertEquals(List.of("x\"y", "a\\b", "ab c"), ShellWords.split("\"x\\\"y\" \"a\\\\b\" a'b c'"));
        assertEquals(List.of("it's"), ShellWords.split("\"it's\""));
        assertEquals(List.of("", "z"), ShellWords.split("'' z"));
    }

    @Test
    void backslashOutsideQuotes_keepsTheNextCharacter() {
        assertEquals(List.of("a b", "#c"), ShellWords.split("a\\ b \\#c"));
        assertEquals(List.of("a\\b"), ShellWords.split("'a\\b'"));
    }

    @Test
    void hashAtTheStartOfAWord_beginsAComment() {
        assertEquals(List.of(), ShellWords.split("# a comment"));
        assertEquals(List.of("list"), ShellWords.split("list # the arenas"));
        assertEquals(List.of("a#b"), ShellWords.split("a#b"));
    }

    @Test
    void unclosedQuotesAndATrailingBackslash_areRefusedNamingTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShellWords.split("free 'a 1"));
        assertTrue(e.getMessage().contains("unclosed ' at column 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShellWords.split("free \"a\\\" 1"));
        assertThrows(IllegalArgumentException.class, () -> ShellWords.split("free a\\"));
    }
}
