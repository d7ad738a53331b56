package onetrans;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A client with the vendor Java SDK's call shape ({@code YhGatewayClient}): the same
 * constructor arguments in the same order, and {@code common(api, params)}. The protocol work
 * (signing, encryption, verification, the transport) is the shared library's, through
 * {@link OneTrans}.
 *
 * <p>Immutable and thread-safe: one client may serve every thread.
 */
public final class GatewayClient {
    /** Keys of {@code data} that the library takes for itself; a business field may not use them. */
    private static final Set<String> CONNECTION_KEYS = new HashSet<>(Arrays.asList(
            "serverAddr", "appId", "appKey", "encryptType", "signType", "timestamp", "version",
            "clientPrvKey", "serverPubKey", "connectTimeoutMs", "readTimeoutMs", "proxy", "charset"));

    private final String url;
    private final String clientPrvKey;
    private final String appId;
    private final String appSecret;
    private final String serverPubKey;
    private final String encType;
    private final String signType;
    private final String proxy;
    private final Integer connectTimeout;
    private final Integer readTimeout;
    private final String orgId;
    private final OneTrans library;

    /**
     * The vendor SDK's constructor, arguments in its order.
     *
     * @param url the gateway's address; {@code common}'s {@code api} is appended to it
     * @param clientPrvKey the institution's SM2 private key (SM2 only; empty or null otherwise,
     *     or to take it from {@code OneTrans.ini})
     * @param appId the appId issued by the portal
     * @param appSecret the appKey issued by the portal (the library's {@code appKey})
     * @param serverPubKey the portal's SM2 public key (SM2 only, as {@code clientPrvKey})
     * @param encType {@code SM4}
     * @param signType {@code SM3} or {@code SM2}
     * @param proxyHost an HTTP proxy's host, or empty/null for none
     * @param proxyPort the proxy's port (needed with a host)
     * @param connectTimeout connect timeout in milliseconds, or null for the library's setting
     * @param readTimeout read timeout in milliseconds, or null for the library's setting
     * @throws IllegalArgumentException for a missing url/appId/appSecret, a proxy host without
     *     port, or a timeout that is not positive
     */
    public GatewayClient(String url, String clientPrvKey, String appId, String appSecret,
            String serverPubKey, String encType, String signType, String proxyHost,
            Integer proxyPort, Integer connectTimeout, Integer readTimeout) {
        this(url, clientPrvKey, appId, appSecret, serverPubKey, encType, signType,
                proxyOf(proxyHost, proxyPort), positive("connectTimeout", connectTimeout),
                positive("readTimeout", readTimeout), null, null);
    }

    private GatewayClient(String url, String clientPrvKey, String appId, String appSecret,
            String serverPubKey, String encType, String signType, String proxy,
            Integer connectTimeout, Integer readTimeout, String orgId, OneTrans library) {
        this.url = required("url", url);
        this.clientPrvKey = clientPrvKey;
        this.appId = required("appId", appId);
        this.appSecret = required("appSecret", appSecret);
        this.serverPubKey = serverPubKey;
        this.encType = encType;
        this.signType = signType;
        this.proxy = proxy;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.orgId = orgId;
        this.library = library;
    }

    /** This client with an institution id ({@code orgId}: sent and signed); the vendor SDK has none. */
    public GatewayClient withOrgId(String orgId) {
        return new GatewayClient(url, clientPrvKey, appId, appSecret, serverPubKey, encType,
                signType, proxy, connectTimeout, readTimeout, orgId, library);
    }

    /** This client calling through {@code library} instead of {@link OneTrans#getDefault()}. */
    public GatewayClient withLibrary(OneTrans library) {
        return new GatewayClient(url, clientPrvKey, appId, appSecret, serverPubKey, encType,
                signType, proxy, connectTimeout, readTimeout, orgId, library);
    }

    /**
     * Calls the interface {@code api} (its suffix, e.g. {@code /pushMsg}, appended to the url)
     * with the business fields {@code params}. Values may be strings, numbers
     * ({@link java.math.BigDecimal} keeps {@code 12.50} as written), booleans, null, maps and
     * lists. Never throws for a failed call: the answer's {@link GatewayResponse#getRespCode()}
     * says what happened.
     *
     * @throws IllegalArgumentException when a business field uses a connection key's name
     */
    public GatewayResponse common(String api, Map<String, ?> params) {
        OneTrans.Result result = lib().mobileTrans(input(api, params));
        return new GatewayResponse(result.code(), result.output());
    }

    /** The library's input JSON for one call (the vendor document's DLL input). */
    String input(String api, Map<String, ?> params) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode data = root.putObject("data");
        data.put("serverAddr", join(url, api));
        data.put("appId", appId);
        data.put("appKey", appSecret);
        putIfGiven(data, "encryptType", encType);
        putIfGiven(data, "signType", signType);
        putIfGiven(data, "clientPrvKey", clientPrvKey);
        putIfGiven(data, "serverPubKey", serverPubKey);
        if (connectTimeout != null) {
            data.put("connectTimeoutMs", connectTimeout);
        }
        if (readTimeout != null) {
            data.put("readTimeoutMs", readTimeout);
        }
        putIfGiven(data, "proxy", proxy);
        data.put("charset", "utf-8");
        JsonNode business = Json.MAPPER.valueToTree(params == null ? Collections.emptyMap() : params);
        for (Iterator<Map.Entry<String, JsonNode>> it = business.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            if (CONNECTION_KEYS.contains(field.getKey())) {
                throw new IllegalArgumentException("业务参数不能使用连接参数名 " + field.getKey()
                        + "，请在构造函数中设置 (a business field may not be named "
                        + field.getKey() + ": set it in the constructor)");
            }
            data.set(field.getKey(), field.getValue());
        }
        putIfGiven(root, "orgId", orgId);
        try {
            return Json.MAPPER.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalArgumentException("业务参数无法写成 JSON (the params do not convert to JSON)", e);
        }
    }

    private OneTrans lib() {
        return library != null ? library : OneTrans.getDefault();
    }

    /** The url and the interface suffix with exactly one slash between them. */
    static String join(String url, String api) {
        if (api == null || api.isEmpty()) {
            return url;
        }
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return base + (api.startsWith("/") ? api : "/" + api);
    }

    private static void putIfGiven(ObjectNode node, String key, String value) {
        if (value != null && !value.isEmpty()) {
            node.put(key, value);
        }
    }

    private static String proxyOf(String host, Integer port) {
        if (host == null || host.trim().isEmpty()) {
            return null;
        }
        if (port == null || port <= 0 || port > 65535) {
            throw new IllegalArgumentException("设置了代理主机 " + host + " 但代理端口无效: " + port
                    + " (a proxy host needs a port from 1 to 65535)");
        }
        String h = host.trim();
        return "http://" + (h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h) + ":" + port;
    }

    private static Integer positive(String name, Integer value) {
        if (value != null && value <= 0) {
            throw new IllegalArgumentException(name + " 必须大于 0 毫秒，或为 null 表示用动态库的设置 ("
                    + name + " must be positive milliseconds, or null for the library's setting): " + value);
        }
        return value;
    }

    private static String required(String name, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " 不能为空 (" + name + " is required)");
        }
        return value;
    }
}
