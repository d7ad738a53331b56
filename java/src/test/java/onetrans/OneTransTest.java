package onetrans;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The low-level {@link OneTrans#mobileTrans} and how the library is found. */
class OneTransTest {
    private static Simulator portal;

    @BeforeAll
    static void start() throws Exception {
        portal = Simulator.start();
    }

    @AfterAll
    static void stop() throws Exception {
        portal.close();
    }

    /** The vendor document's DLL input, for a drug write-off: plain ASCII. */
    private static String drugInput(String ticket) {
        return "{\"data\":{\"serverAddr\":\"" + portal.baseUrl + "/api/mobile/verificationDrug\","
                + "\"appId\":\"" + Keys.APP_ID + "\",\"appKey\":\"" + Keys.APP_SECRET + "\","
                + "\"encryptType\":\"SM4\",\"signType\":\"SM3\",\"timestamp\":\"\",\"version\":\"1.0.0\","
                + "\"mobileDrugTipsId\":\"" + ticket + "\",\"drugTipsIdType\":\"bar\"},"
                + "\"orgId\":\"H46010000000\"}";
    }

    @Test
    void theVendorsInputGetsTheCodeAndTheOutput() {
        OneTrans.Result r = OneTrans.getDefault().mobileTrans(drugInput("L" + System.nanoTime()));
        assertEquals("000000", r.code(), r.output());
        assertTrue(r.isOk());
        assertTrue(r.output().startsWith("{\"code\":0,\"data\":{\"traceId\""), r.output());
        assertTrue(r.output().contains("\"drugStatusDesc\":\"已核销\""), r.output());
        assertTrue(r.output().contains("\"fee\":12.50"), r.output());
    }

    @Test
    void badInputIsTheLibrarysOwnAnswer() {
        OneTrans.Result r = OneTrans.getDefault().mobileTrans("not json");
        assertEquals("000105", r.code());
        assertTrue(r.output().contains("\"respCode\":\"000105\""), r.output());
        assertThrows(IllegalArgumentException.class, () -> OneTrans.getDefault().mobileTrans("{\"a\":\"\0\"}"));
    }

    @Test
    void charsetUtf8IsAddedToDataAndNothingElseChanges() {
        assertEquals("{\"data\":{\"charset\":\"utf-8\",\"a\":12.50,\"b\":1.5e3},\"orgId\":\"x\"}",
                Json.withUtf8Charset("{\"data\":{\"a\":12.50,\"b\":1.5e3},\"orgId\":\"x\"}"));
        assertEquals("{\"x\":[1,{\"data\":2}], \"data\" : {\"charset\":\"utf-8\"}}",
                Json.withUtf8Charset("{\"x\":[1,{\"data\":2}], \"data\" : {}}"));
        String given = "{\"data\":{\"charset\":\"UTF-8\",\"a\":1}}";
        assertEquals(given, Json.withUtf8Charset(given));
        assertEquals("not json", Json.withUtf8Charset("not json"));
        assertEquals("{\"data\":1}", Json.withUtf8Charset("{\"data\":1}"));
        assertThrows(IllegalArgumentException.class,
                () -> Json.withUtf8Charset("{\"data\":{\"charset\":\"gbk\"}}"));
    }

    @Test
    void theLibraryIsLoadedFromAPathGivenOrFromTheSearchPlaces() {
        Path given = Paths.get(System.getProperty(OneTrans.LIBRARY_PROPERTY));
        OneTrans lib = OneTrans.load(given);
        assertEquals(given.toAbsolutePath(), lib.path());
        assertEquals(OneTrans.getDefault().version(), lib.version());
        assertEquals(given, OneTrans.candidates().get(0));
        String name = OneTrans.libraryNames().get(0);
        assertTrue(OneTrans.candidates().stream().anyMatch(p -> p.getFileName().toString().equals(name)
                && !p.equals(given)), "java.library.path and the jar's folder follow");
        assertThrows(UnsatisfiedLinkError.class, () -> OneTrans.load(Paths.get("/nonexistent/libonetrans.so")));
    }
}
