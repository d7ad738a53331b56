// The vendor document's C++ sample, as hospital programs copy it: the request is built as JSON
// text (jsoncpp's FastWriter in the original: compact, members sorted, a newline at the end) and
// copied with memcpy(in_data, sReq.c_str(), sReq.size()) -- WITHOUT its NUL -- into a buffer
// that was zero-initialised once and is reused for every call. After a longer request, a
// shorter one is followed in the buffer by the tail of the old one, up to the NUL the buffer
// had from the start. The vendor's DLL (jsoncpp's reader) reads the first JSON value and stops;
// onetrans does the same: the tail is never signed nor sent.
//
// jsoncpp is not needed here: the JSON text is built by hand, in the order FastWriter writes it.
//
// Build (Linux): c++ -std=c++17 -Wall -Wextra -Werror -Iinclude c_examples/vendor_reused_buffer.cpp -Ltarget/debug -lonetrans
// Run:           LD_LIBRARY_PATH=target/debug ./a.out http://127.0.0.1:PORT
//
// Each check prints one line; the program ends with "N passed, M failed" and exits non-zero if
// anything failed.
#include <cstdio>
#include <cstring>
#include <string>

#include "onetrans.h"

namespace {

// The vendor's buffers: static, so zero-initialised once, then reused by every call.
char in_data[8192];
char out_data[65536];

int passed = 0, failed = 0;

void check(bool ok, const char *what, const char *code)
{
    ok ? ++passed : ++failed;
    std::printf("%s %s (%s)%s%.300s\n", ok ? "ok  " : "FAIL", what, code, ok ? "" : " output: ",
                ok ? "" : out_data);
}

// A JSON string literal (the values here need no escapes beyond these).
std::string quoted(const std::string &s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

// root["data"] = param; root["orgId"] = ...; writer.write(root): FastWriter sorts the members
// of each object (jsoncpp keeps them in a std::map) and ends the text with a newline.
std::string fast_writer_push_msg(const std::string &url, const std::string &order, const std::string &memo,
                                 const std::string &ward)
{
    std::string data = "{";
    data += "\"amt\":12.50";
    data += ",\"appId\":\"zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN\"";
    data += ",\"appKey\":\"St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM\"";
    data += ",\"encryptType\":\"SM4\"";
    data += ",\"idNo\":\"460029196507081627\"";
    data += ",\"idType\":\"02\"";
    data += ",\"medOrgOrd\":" + quoted(order);
    data += ",\"memo\":" + quoted(memo);
    data += ",\"orderStatus\":\"MERCHANT_PAID\"";
    data += ",\"orgCode\":\"H46040100001\"";
    data += ",\"patientName\":\"周大鹏\"";
    data += ",\"pushType\":\"HOSPITAL_PAYMENT\"";
    data += ",\"serverAddr\":" + quoted(url);
    data += ",\"signType\":\"SM3\"";
    data += ",\"timestamp\":\"\"";
    data += ",\"version\":\"1.0.0\"";
    if (!ward.empty())
        data += ",\"wardName\":" + quoted(ward);
    data += "}";
    return "{\"data\":" + data + ",\"orgId\":\"H46010000000\"}\n";
}

// The vendor's call sequence: memcpy without the NUL, then MobileTrans on the reused buffers.
std::string send(const std::string &sReq)
{
    std::memcpy(in_data, sReq.c_str(), sReq.size());
    const char *transret = MobileTrans(in_data, out_data);
    return std::string(transret);
}

bool output_has(const char *text)
{
    return std::strstr(out_data, text) != nullptr;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PORTAL_BASE_URL\n", argv[0]);
        return 2;
    }
    // The simulator's echo path answers with the business data it received.
    const std::string url = std::string(argv[1]) + "/_fault/echo/api/amp/hos/pushMsg";

    // 1. A long request with Chinese near its end (FastWriter puts wardName last in data).
    const std::string first = fast_writer_push_msg(url, "VENDOR-LONG-000001", "x", "口腔科三病区（东楼二层）");
    std::string code = send(first);
    check(code == "000000" && output_has("\"medOrgOrd\":\"VENDOR-LONG-000001\"") && output_has("三病区"),
          "the first, longer request", code.c_str());

    // 2. A shorter one, which leaves the old request's tail behind it in the buffer. Its memo
    //    is lengthened until the tail starts in the middle of a UTF-8 character of the old text.
    std::string memo = "x";
    std::string second = fast_writer_push_msg(url, "VENDOR-S", memo, "");
    while (second.size() < first.size() && (static_cast<unsigned char>(first[second.size()]) & 0xC0) != 0x80) {
        memo += "x";
        second = fast_writer_push_msg(url, "VENDOR-S", memo, "");
    }
    if (second.size() >= first.size()) {
        std::printf("FAIL could not make the second request shorter than the first\n");
        return 1;
    }
    code = send(second);
    const bool tail_left = std::strlen(in_data) == first.size();
    check(tail_left, "the buffer holds the second request followed by the tail of the first", "-");
    check(code == "000000" && output_has("\"medOrgOrd\":\"VENDOR-S\"") && !output_has("三病区") &&
              !output_has("VENDOR-LONG"),
          "the shorter request over the tail: only the first JSON object is sent", code.c_str());

    // 3. Again, shorter still: the tail is now two old requests' leftovers.
    const std::string third = fast_writer_push_msg(url, "VENDOR-3", "", "");
    if (third.size() >= second.size()) {
        std::printf("FAIL the third request is not shorter than the second\n");
        return 1;
    }
    code = send(third);
    check(code == "000000" && output_has("\"medOrgOrd\":\"VENDOR-3\"") && !output_has("\"memo\":\"x"),
          "a third, shorter request", code.c_str());

    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
