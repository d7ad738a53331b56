package onetrans;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;

/** The JSON settings of the binding: Jackson, with numbers kept exact. */
final class Json {
    private Json() {}

    /**
     * The mapper for inputs and outputs: decimals as {@link java.math.BigDecimal} with their
     * scale kept ({@code 12.50} stays {@code 12.50}, never {@code 12.5}) and written as plain
     * digits. Thread-safe once configured.
     */
    static final ObjectMapper MAPPER = new ObjectMapper()
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    private static final JsonFactory FACTORY = new JsonFactory();

    /** The per-call key the binding always sets: the answer comes back in UTF-8. */
    static final String CHARSET_KEY = "charset";

    /**
     * {@code input} with {@code "charset":"utf-8"} as the first member of its top-level
     * {@code data} object, unless {@code data} already has a {@code charset} of {@code utf-8}.
     * Everything else stays as it was, byte for byte (number text, member order, spacing): the
     * member is inserted into the text, not by rewriting the JSON. Text that is not an object
     * with a {@code data} object goes on unchanged: the library answers {@code 000105} saying
     * what is wrong with it.
     */
    static String withUtf8Charset(String input) {
        try (JsonParser parser = FACTORY.createParser(input)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return input;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.getCurrentName();
                JsonToken value = parser.nextToken();
                if ("data".equals(name) && value == JsonToken.START_OBJECT) {
                    long brace = parser.getTokenLocation().getCharOffset();
                    return insertCharset(input, parser, (int) brace);
                }
                parser.skipChildren();
            }
            return input;
        } catch (IOException e) {
            return input;
        }
    }

    /** With the parser just inside {@code data}, whose brace is at {@code brace}. */
    private static String insertCharset(String input, JsonParser parser, int brace)
            throws IOException {
        boolean empty = true;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            empty = false;
            String name = parser.getCurrentName();
            parser.nextToken();
            if (CHARSET_KEY.equals(name)) {
                String given = parser.getText();
                if (given.trim().equalsIgnoreCase("utf-8") || given.trim().equalsIgnoreCase("utf8")) {
                    return input;
                }
                throw new IllegalArgumentException("data.charset 为 \"" + given
                        + "\"，但 Java 绑定只用 UTF-8，请去掉该键 (the Java binding speaks UTF-8 only:"
                        + " leave data.charset out)");
            }
            parser.skipChildren();
        }
        String member = "\"" + CHARSET_KEY + "\":\"utf-8\"" + (empty ? "" : ",");
        return input.substring(0, brace + 1) + member + input.substring(brace + 1);
    }
}
