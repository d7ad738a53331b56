package onetrans;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * The answer to {@link GatewayClient#common}, shaped like the vendor SDK's
 * {@code WrapperResponse}: the return code ({@link #getRespCode()}) first, then the business
 * result ({@link #getCode()}, {@link #getMessage()}, {@link #getParam()}). Immutable.
 */
public final class GatewayResponse {
    /** Codes that promise the request was certainly not sent: safe to retry. */
    private static final Set<String> NOT_SENT = setOf("000100", "000105");
    /** Codes after which the request may have been carried out: query it before any retry. */
    private static final Set<String> OUTCOME_UNKNOWN = setOf("000001", "000101", "000102", "444444");
    /** The library's own codes; any other is the portal's rejection, passed through. */
    private static final Set<String> LIBRARY_CODES = setOf(
            "000000", "000001", "000002", "000003", "000100", "000101", "000102", "000105",
            "000106", "444444");

    private static Set<String> setOf(String... codes) {
        return Collections.unmodifiableSet(new HashSet<>(Arrays.asList(codes)));
    }

    private final String respCode;
    private final String raw;
    private final JsonNode output;

    GatewayResponse(String respCode, String raw) {
        this.respCode = respCode;
        this.raw = raw;
        this.output = parse(raw);
    }

    private static JsonNode parse(String raw) {
        try {
            JsonNode node = Json.MAPPER.readTree(raw);
            return node != null && node.isObject() ? node : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * True only when the return code is {@code 000000} (the portal answered and the answer
     * verified) and the business {@code code} is 0.
     */
    public boolean isSuccess() {
        Integer code = getCode();
        return "000000".equals(respCode) && code != null && code == 0;
    }

    /**
     * The return code: {@code 000000}, one of the library's codes (README, section 2), or the
     * portal's own rejection passed through ({@code 010010}, {@code 404404}, {@code -8}, ...).
     */
    public String getRespCode() {
        return respCode;
    }

    /**
     * What the return code means: {@code 成功} for {@code 000000} (the vendor's text), else the
     * output's message (Chinese first, then English, saying what to do).
     */
    public String getRespMsg() {
        return "000000".equals(respCode) ? "成功" : getMessage();
    }

    /**
     * The business code: 0 success, non-zero a business failure. After a return code other than
     * {@code 000000} the library writes -1 here: check {@link #getRespCode()} first.
     */
    public Integer getCode() {
        JsonNode code = output == null ? null : output.get("code");
        return code != null && code.canConvertToInt() ? code.intValue() : null;
    }

    /** The business message (or, after a failure, the library's explanation). */
    public String getMessage() {
        JsonNode message = output == null ? null : output.get("message");
        return message == null || message.isNull() ? "" : message.asText();
    }

    /**
     * The business data of the answer ({@code data}), numbers kept exact (decimals as
     * {@link java.math.BigDecimal} with their scale); {@code null} when there is none.
     */
    public JsonNode getParam() {
        JsonNode data = output == null ? null : output.get("data");
        return data == null || data.isNull() ? null : data;
    }

    /** The business data converted to {@code type} (as the vendor's TypeReference argument). */
    public <T> T getParam(Class<T> type) {
        JsonNode data = getParam();
        try {
            return data == null ? null : Json.MAPPER.treeToValue(data, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("出参 data 无法转换为 " + type.getName()
                    + " (the answer's data does not convert to that type): " + e.getOriginalMessage(), e);
        }
    }

    /** The output's {@code extra} (free text from the portal). */
    public String getExtra() {
        JsonNode extra = output == null ? null : output.get("extra");
        return extra == null || extra.isNull() ? "" : extra.asText();
    }

    /** The output JSON exactly as the library wrote it. */
    public String getRaw() {
        return raw;
    }

    /** {@code 000100} or {@code 000105}: the request was certainly not sent; safe to retry. */
    public boolean isNotSent() {
        return NOT_SENT.contains(respCode);
    }

    /**
     * {@code 000001}, {@code 000101}, {@code 000102}, {@code 444444}: the request was or may
     * have been carried out. Query the transaction before any retry.
     */
    public boolean isOutcomeUnknown() {
        return OUTCOME_UNKNOWN.contains(respCode);
    }

    /** A code that is not the library's own: the portal's rejection, passed through. */
    public boolean isPortalRejection() {
        return !LIBRARY_CODES.contains(respCode);
    }

    @Override
    public String toString() {
        return "GatewayResponse{respCode=" + respCode + ", raw=" + raw + "}";
    }
}
