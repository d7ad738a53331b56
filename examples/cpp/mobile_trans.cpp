// Calling onetrans from C++: a small RAII-free wrapper returning std::string, and threads.
//
// Build (Linux): c++ -std=c++17 -Wall -Wextra -Werror -Iinclude examples/cpp/mobile_trans.cpp -Ltarget/debug -lonetrans -lpthread
// Run:           LD_LIBRARY_PATH=target/debug ./a.out http://127.0.0.1:PORT
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "onetrans.h"

namespace {

struct Result {
    std::string code;    // copied: the library owns the returned pointer
    std::string output;
};

// One call with a buffer that grows to what the library says it needs: MobileTransEx reports
// the size, and OneTransLastOutput hands out the output of the call already made (never call
// the portal twice for one payment).
Result call(const std::string &input)
{
    std::vector<char> out(4096);
    uint32_t needed = 0;
    Result r;
    r.code = MobileTransEx(input.c_str(), out.data(), static_cast<uint32_t>(out.size()), &needed);
    if (r.code == "000106") {
        out.resize(needed);
        r.code = OneTransLastOutput(out.data(), needed, &needed);
    }
    r.output = out.data();
    return r;
}

std::string push_msg(const std::string &url, const std::string &order, const std::string &blob)
{
    return "{\"data\":{\"serverAddr\":\"" + url +
           "\",\"appId\":\"zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN\",\"appKey\":\"St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM\","
           "\"medOrgOrd\":\"" + order + "\",\"orderStatus\":\"MERCHANT_PAID\",\"orgCode\":\"H1\","
           "\"patientName\":\"Zhou\",\"idType\":\"02\",\"idNo\":\"460029196507081627\","
           "\"pushType\":\"HOSPITAL_PAYMENT\",\"blob\":\"" + blob + "\"},\"orgId\":\"H1\"}";
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PORTAL_BASE_URL\n", argv[0]);
        return 2;
    }
    const std::string base = argv[1];
    int passed = 0, failed = 0;
    auto check = [&](bool ok, const char *what, const Result &r) {
        ok ? ++passed : ++failed;
        std::printf("%s %s (%s)%s%.200s\n", ok ? "ok  " : "FAIL", what, r.code.c_str(), ok ? "" : " ", ok ? "" : r.output.c_str());
    };

    // An echo answer of ~10 KB: bigger than the first buffer, so the wrapper grows it.
    Result big = call(push_msg(base + "/_fault/echo/api/amp/hos/pushMsg", "CPP-1", std::string(10000, 'x')));
    check(big.code == "000000" && big.output.find("CPP-1") != std::string::npos && big.output.size() > 10000,
          "a 10 KB answer through a growing buffer", big);

    std::vector<std::thread> threads;
    std::vector<int> ok(8, 0);
    for (int t = 0; t < 8; t++) {
        threads.emplace_back([&, t] {
            std::string order = "CPP-T" + std::to_string(t);
            Result r = call(push_msg(base + "/_fault/echo/api/amp/hos/pushMsg", order, ""));
            ok[t] = r.code == "000000" && r.output.find("\"medOrgOrd\":\"" + order + "\"") != std::string::npos;
        });
    }
    for (auto &th : threads)
        th.join();
    bool all = true;
    for (int v : ok)
        all = all && v;
    check(all, "8 threads, each its own answer", Result{"000000", ""});

    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
