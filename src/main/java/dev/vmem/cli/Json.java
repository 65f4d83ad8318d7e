package dev.vmem.cli;

/** Just enough JSON for the command's output: objects and arrays of strings, numbers and booleans. */
final class Json {
    private final StringBuilder sb = new StringBuilder();
    private boolean first = true;

    Json beginObject() {
        comma();
        sb.append('{');
        first = true;
        return this;
    }

    Json endObject() {
        sb.append('}');
        first = false;
        return this;
    }

    Json beginArray(String name) {
        key(name);
        sb.append('[');
        first = true;
        return this;
    }

    Json endArray() {
        sb.append(']');
        first = false;
        return this;
    }

    Json field(String name, long value) {
        key(name);
        sb.append(value);
        first = false;
        return this;
    }

    Json field(String name, boolean value) {
        key(name);
        sb.append(value);
        first = false;
        return this;
    }

    /** A string as the next element of an array. */
    Json element(String value) {
        comma();
        string(value);
        first = false;
        return this;
    }

    Json field(String name, String value) {
        key(name);
        if (value == null) {
            sb.append("null");
        } else {
            string(value);
        }
        first = false;
        return this;
    }

    /** Starts an object as a named field. */
    Json object(String name) {
        key(name);
        sb.append('{');
        first = true;
        return this;
    }

    private void key(String name) {
        comma();
        string(name);
        sb.append(':');
        first = true;
    }

    private void comma() {
        if (!first) {
            sb.append(',');
        }
    }

    private void string(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
