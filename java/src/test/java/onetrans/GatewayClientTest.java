package onetrans;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link GatewayClient} against the portal simulator. */
class GatewayClientTest {
    private static final AtomicInteger TICKETS = new AtomicInteger();
    private static Simulator portal;

    @BeforeAll
    static void start() throws Exception {
        portal = Simulator.start();
    }

    @AfterAll
    static void stop() throws Exception {
        portal.close();
    }

    /** The vendor demo's client (SM3), with the simulator's base URL. */
    private static GatewayClient sm3(String url) {
        return new GatewayClient(url, "", Keys.APP_ID, Keys.APP_SECRET, "", "SM4", "SM3", "", null,
                6000, 30000);
    }

    private static GatewayClient sm3() {
        return sm3(portal.baseUrl);
    }

    private static GatewayClient sm2(String serverPubKey) {
        return new GatewayClient(portal.baseUrl, Keys.CLIENT_PRV_KEY, Keys.SM2_APP_ID,
                Keys.SM2_APP_SECRET, serverPubKey, "SM4", "SM2", "", null, 6000, 30000);
    }

    /** pushMsg's fields as in the vendor's demo, with a fresh order number. */
    static Map<String, Object> pushMsg() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("orgCode", "H35010200227");
        p.put("medOrgOrd", UUID.randomUUID().toString().replace("-", ""));
        p.put("pushType", "HOSPITAL_PAYMENT");
        p.put("orderStatus", "MERCHANT_PAID");
        p.put("patientName", "周大鹏");
        p.put("idType", "01");
        p.put("idNo", "35020519870819015X");
        p.put("takeMedicineLoc", "请至东药房104取您的药品！");
        return p;
    }

    /** A drug write-off of a ticket never used before (ASCII only: no Chinese in the request). */
    static Map<String, Object> drug() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("mobileDrugTipsId", "J" + System.nanoTime() + "-" + TICKETS.incrementAndGet());
        p.put("drugTipsIdType", "qr");
        return p;
    }

    @Test
    void pushMsgWithSm3Succeeds() {
        GatewayResponse r = sm3().withOrgId("H35010200227").common("/api/amp/hos/pushMsg", pushMsg());
        assertTrue(r.isSuccess(), r::toString);
        assertEquals("000000", r.getRespCode());
        assertEquals("成功", r.getRespMsg());
        assertEquals(0, r.getCode());
        assertEquals("SUCCESS", r.getParam().get("response").asText());
        assertTrue(r.getRaw().contains("\"orgId\":\"H35010200227\""), r.getRaw());
    }

    @Test
    void urlAndApiJoinAsInTheVendorExample() {
        GatewayResponse r = sm3(portal.baseUrl + "/api/amp/hos/").common("pushMsg", pushMsg());
        assertTrue(r.isSuccess(), r::toString);
        assertEquals("http://h/api/amp/hos/pushMsg", GatewayClient.join("http://h/api/amp/hos", "/pushMsg"));
    }

    @Test
    void verificationDrugAnswersChineseAndExactNumbersToAnAsciiRequest() {
        GatewayResponse r = sm3().common("/api/mobile/verificationDrug", drug());
        assertTrue(r.isSuccess(), r::toString);
        JsonNode data = r.getParam();
        assertEquals("已核销", data.get("drugStatusDesc").asText());
        assertEquals("药品", data.get("drugTypeDesc").asText());
        assertEquals(new BigDecimal("12.50"), data.get("fee").decimalValue());
        assertEquals("12.50", data.get("fee").decimalValue().toString());
        assertTrue(r.getRaw().contains("\"fee\":12.50"), r.getRaw());
    }

    @Test
    void theSameTicketTwiceIsABusinessFailure() {
        Map<String, Object> ticket = drug();
        assertTrue(sm3().common("/api/mobile/verificationDrug", ticket).isSuccess());
        GatewayResponse again = sm3().common("/api/mobile/verificationDrug", ticket);
        assertFalse(again.isSuccess());
        assertEquals("000000", again.getRespCode());
        assertEquals(-2, again.getCode());
        assertTrue(again.getMessage().contains("核销"), again.getMessage());
    }

    @Test
    void pushMsgWithSm2Succeeds() {
        GatewayResponse r = sm2(Keys.SERVER_PUB_KEY).common("/api/amp/hos/pushMsg", pushMsg());
        assertTrue(r.isSuccess(), r::toString);
        assertEquals("SUCCESS", r.getParam().get("response").asText());
        GatewayResponse drug = sm2(Keys.SERVER_PUB_KEY).common("/api/mobile/verificationDrug", drug());
        assertTrue(drug.isSuccess(), drug::toString);
    }

    @Test
    void sm2AnswerUnderAnotherServerKeyIsNotTrusted() {
        // The institution's own public key is not the portal's: the answer cannot verify.
        GatewayResponse r = sm2(Keys.CLIENT_PUB_KEY).common("/api/amp/hos/pushMsg", pushMsg());
        assertEquals("000102", r.getRespCode(), r::toString);
        assertTrue(r.isOutcomeUnknown());
        assertFalse(r.isSuccess());
    }

    @Test
    void aMissingFieldIsABusinessFailure() {
        Map<String, Object> p = pushMsg();
        p.remove("idNo");
        GatewayResponse r = sm3().common("/api/amp/hos/pushMsg", p);
        assertFalse(r.isSuccess());
        assertEquals("000000", r.getRespCode());
        assertEquals(-2, r.getCode());
        assertTrue(r.getMessage().contains("idNo"), r.getMessage());
        assertFalse(r.isNotSent() || r.isOutcomeUnknown() || r.isPortalRejection());
    }

    @Test
    void anUnknownAppIdIsThePortalsRejectionPassedThrough() {
        GatewayClient stranger = new GatewayClient(portal.baseUrl, "", "UnknownApp000000000000000000000X",
                "secret", "", "SM4", "SM3", "", null, null, null);
        GatewayResponse r = stranger.common("/api/amp/hos/pushMsg", pushMsg());
        assertEquals("-8", r.getRespCode(), r::toString);
        assertTrue(r.isPortalRejection());
        assertFalse(r.isSuccess());
        assertNull(r.getParam());
        GatewayResponse path = sm3().common("/api/amp/hos/noSuchInterface", pushMsg());
        assertEquals("404404", path.getRespCode(), path::toString);
        assertTrue(path.isPortalRejection());
    }

    @Test
    void anUnreachablePortalIsNotSent() throws Exception {
        GatewayResponse r = sm3("http://127.0.0.1:" + Simulator.closedPort()).common("/api/amp/hos/pushMsg", pushMsg());
        assertEquals("000100", r.getRespCode(), r::toString);
        assertTrue(r.isNotSent());
        assertFalse(r.isSuccess());
        assertTrue(r.getRespMsg().length() > 0);
    }

    @Test
    void badInputIsNotSent() {
        GatewayResponse r = sm3("ftp://127.0.0.1/").common("/api/amp/hos/pushMsg", pushMsg());
        assertEquals("000105", r.getRespCode(), r::toString);
        assertTrue(r.isNotSent());
    }

    @Test
    void constructorArgumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new GatewayClient(portal.baseUrl, "",
                Keys.APP_ID, Keys.APP_SECRET, "", "SM4", "SM3", "proxy.local", null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new GatewayClient(portal.baseUrl, "",
                Keys.APP_ID, Keys.APP_SECRET, "", "SM4", "SM3", "", null, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new GatewayClient(portal.baseUrl, "",
                Keys.APP_ID, "", "", "SM4", "SM3", "", null, null, null));
        Map<String, Object> p = pushMsg();
        p.put("appKey", "x");
        assertThrows(IllegalArgumentException.class, () -> sm3().common("/api/amp/hos/pushMsg", p));
    }

    @Test
    void exactNumbersAndChineseRoundTrip() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("amount", new BigDecimal("12.50"));
        p.put("big", new BigInteger("12345678901234567890"));
        p.put("name", "叶倩 José 𠀀");
        p.put("nested", Map.of("fen", new BigDecimal("0.10")));
        GatewayResponse r = sm3().common("/_fault/echo/api/amp/hos/pushMsg", p);
        assertTrue(r.isSuccess(), r::toString);
        JsonNode data = r.getParam();
        assertEquals("12.50", data.get("amount").decimalValue().toString());
        assertEquals(new BigInteger("12345678901234567890"), data.get("big").bigIntegerValue());
        assertEquals("叶倩 José 𠀀", data.get("name").asText());
        assertEquals("0.10", data.get("nested").get("fen").decimalValue().toString());
        assertTrue(r.getRaw().contains("\"amount\":12.50"), r.getRaw());
    }

    @Test
    void anAnswerLargerThanTheBufferIsFetchedOnce() {
        String blob = "医".repeat(100_000); // 300,000 bytes of UTF-8: over the first 64 KiB buffer
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("blob", blob);
        GatewayResponse r = sm3().common("/_fault/echo/api/amp/hos/pushMsg", p);
        assertTrue(r.isSuccess(), r::toString);
        assertEquals(blob, r.getParam().get("blob").asText());
    }

    @Test
    @Tag("percall")
    void aPerCallReadTimeoutGivesOutcomeUnknownInTime() {
        GatewayClient impatient = new GatewayClient(portal.baseUrl, "", Keys.APP_ID, Keys.APP_SECRET,
                "", "SM4", "SM3", "", null, 6000, 500);
        long start = System.nanoTime();
        GatewayResponse r = impatient.common("/_fault/slow=5000/api/amp/hos/pushMsg", pushMsg());
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals("000001", r.getRespCode(), r::toString);
        assertTrue(r.isOutcomeUnknown());
        assertTrue(ms < 4000, "took " + ms + " ms with readTimeout 500");
    }

    @Test
    @Tag("percall")
    void aPerCallProxyIsUsed() throws Exception {
        GatewayClient viaDeadProxy = new GatewayClient(portal.baseUrl, "", Keys.APP_ID,
                Keys.APP_SECRET, "", "SM4", "SM3", "127.0.0.1", Simulator.closedPort(), null, null);
        GatewayResponse r = viaDeadProxy.common("/api/amp/hos/pushMsg", pushMsg());
        assertEquals("000100", r.getRespCode(), r::toString);
        assertTrue(r.isNotSent());
    }

    @Test
    @Tag("percall")
    void connectionSettingsAreNeverSent() {
        GatewayClient client = new GatewayClient(portal.baseUrl, "", Keys.APP_ID, Keys.APP_SECRET,
                "", "SM4", "SM3", "", null, 6000, 30000);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("only", "this");
        GatewayResponse r = client.common("/_fault/echo/api/amp/hos/pushMsg", p);
        assertTrue(r.isSuccess(), r::toString);
        assertEquals("{\"only\":\"this\"}", r.getParam().toString());
    }

    @Test
    void eightThreadsShareOneClient() throws Exception {
        GatewayClient shared = sm3();
        GatewayClient sharedSm2 = sm2(Keys.SERVER_PUB_KEY);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> tasks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final int thread = t;
                tasks.add(pool.submit(() -> {
                    List<String> traces = new ArrayList<>();
                    for (int i = 0; i < 12; i++) {
                        GatewayClient client = (i % 3 == 2) ? sharedSm2 : shared;
                        GatewayResponse r = (i % 2 == 0)
                                ? client.common("/api/mobile/verificationDrug", drug())
                                : client.common("/api/amp/hos/pushMsg", pushMsg());
                        assertTrue(r.isSuccess(), "thread " + thread + " call " + i + ": " + r);
                        JsonNode trace = r.getParam().get("traceId");
                        if (trace != null) {
                            traces.add(trace.asText());
                        }
                    }
                    return traces;
                }));
            }
            Set<String> seen = new HashSet<>();
            int count = 0;
            for (Future<List<String>> task : tasks) {
                for (String trace : task.get()) {
                    count++;
                    seen.add(trace);
                }
            }
            assertEquals(48, count);
            assertEquals(count, seen.size(), "every write-off has its own traceId");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void defaultLibraryIsTheOneConfigured() {
        OneTrans lib = OneTrans.getDefault();
        assertNotNull(lib.version());
        assertTrue(lib.version().matches("\\d+\\.\\d+\\.\\d+.*"), lib.version());
    }
}
