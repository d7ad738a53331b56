/*
 * The Windows test client: loads OneTrans.dll the way the vendor's sample does
 * (LoadLibrary("OneTrans.dll") + GetProcAddress(h, "MobileTrans") through a __stdcall function
 * pointer) and checks it against the portal simulator. scripts/windows.sh builds it with mingw
 * for 32- and 64-bit Windows and runs it under Wine, beside a copy of the DLL.
 *
 * Build:  i686-w64-mingw32-gcc -static -Wall -Wextra -Werror -O2 -o onetrans_test.exe \
 *             windows/test_client.c -lws2_32 -lversion
 * Run:    wine onetrans_test.exe MODE PORTAL_BASE_URL [EXE...]
 *
 * Modes (each a separate process, since the library reads its settings once per process):
 *   main     every check that needs no special setting: the three interfaces, GBK, bad input,
 *            a portal rejection, the output cap, a closed port, hostile input, 8 threads, the
 *            default log folder and call journal (log\journal), and on 32-bit that the callee
 *            cleans the stack (__stdcall)
 *   timeout  run with ONETRANS_READ_TIMEOUT_MS=1000: a portal answering after 3 s gives 000001
 *   acp936   run with a Chinese Unix locale (ANSI code page 936): a plain-ASCII caller gets GBK;
 *            GBK names whose bytes are also valid UTF-8 (叶倩, 稹阿) are read as GBK (issue 10
 *            item 5), genuine UTF-8 (买买提·艾力) stays UTF-8
 *   folder   copies the DLL and this program into a folder "his 医保" beside them, writes an
 *            OneTrans.ini there (logDir=log, logLevel=info, readTimeoutMs=1500), runs the copy
 *            from another working directory (mode folder-child), and checks the log and the journal there
 *   panic    loads onetrans_panic_probe.dll (windows/panic-probe, built like OneTrans.dll), whose
 *            export panics inside catch_unwind: the panics are caught, on 8 threads at once too,
 *            and the process lives on (OneTrans.dll cannot be made to panic from outside)
 *   codes    issue 10 items 2, 3, 4 and 9: the portal's own 000100 gives 000001, a respCode
 *            "000000 " gives 000002; OneTransLastOutput(W) on a fresh thread gives 000105 and a
 *            failure JSON; the code strings a thread got stay readable after it ended
 *   badini   issue 10 item 1: for each kind of bad OneTrans.ini (outBufSize=256 plus a bad
 *            line, ...), lays out "his 医保 bad-ini" as mode folder does and runs the copy there
 *            (mode badini-child): MobileTrans into 256 bytes and MobileTransW into 128 units,
 *            each followed by a canary, give 000105 and leave the canary alone
 *   unload   issue 10 item 6: run in a network namespace whose resolver never answers, with
 *            ONETRANS_CONNECT_TIMEOUT_MS=1000: a call to a host name returns 000100 (DNS lookup
 *            timed out), FreeLibrary at once, then 15 s of this process while the lookup thread
 *            is still in getaddrinfo; the process lives on and the library loads again
 *   version  issue 14: the VERSIONINFO resource of the DLL and of each EXE named after the URL
 *            (GetFileVersionInfoW): FileVersion and ProductVersion equal OneTransVersion()
 *
 * Prints one line per check and "N passed, M failed"; exits 0 only when everything passed.
 */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define APP_ID "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN"
#define APP_KEY "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"
#define PUSH_MSG "/api/amp/hos/pushMsg"
#define OUT_SIZE 65536 /* the library's default outBufSize */
#define THREADS 8
#define ROUNDS 5
#define HOSTILE_DEPTH 100000

/* 周大鹏 in UTF-8 and in GBK; 成功 (the echo answer's message) in UTF-8 and in GBK. */
#define NAME_UTF8 "\xe5\x91\xa8\xe5\xa4\xa7\xe9\xb9\x8f"
#define NAME_GBK "\xd6\xdc\xb4\xf3\xc5\xf4"
#define OK_UTF8 "\xe6\x88\x90\xe5\x8a\x9f"
#define OK_GBK "\xb3\xc9\xb9\xa6"
/* "his 医保": the folder with a space and Chinese characters. */
#define FOLDER L"his \u533b\u4fdd"
/* The folder of mode badini, beside it. */
#define BAD_INI_FOLDER L"his \u533b\u4fdd bad-ini"

/* Issue 10 item 5: GBK names whose bytes are also valid UTF-8. 叶倩 (D2B6 D9BB) reads as the
 * two-byte UTF-8 characters U+04B6 U+067B; 稹阿 (F0A1 B0A2) as one four-byte character
 * U+21C22. Each with its UTF-16 form, to see what the portal decoded. */
#define YE_QIAN_GBK "\xd2\xb6\xd9\xbb"
#define YE_QIAN_W L"\u53f6\u5029"
#define ZHEN_A_GBK "\xf0\xa1\xb0\xa2"
#define ZHEN_A_W L"\u7a39\u963f"
/* 买买提·艾力: genuine UTF-8 (a Uyghur name), which stays UTF-8. */
#define MAIMAITI_UTF8 "\xe4\xb9\xb0\xe4\xb9\xb0\xe6\x8f\x90\xc2\xb7\xe8\x89\xbe\xe5\x8a\x9b"
/* "000100：外部接口存在问题": the portal's own code and message in a 000001 output (UTF-8). */
#define UPSTREAM_UTF8 "000100\xef\xbc\x9a\xe5\xa4\x96\xe9\x83\xa8\xe6\x8e\xa5\xe5\x8f\xa3" \
                      "\xe5\xad\x98\xe5\x9c\xa8\xe9\x97\xae\xe9\xa2\x98"
/* An interface the portal does not serve: it answers 404404, a code the library passes
 * through (interned, not one of its own). */
#define UNKNOWN_PATH "/api/amp/hos/noSuchInterface"

/* The vendor's declaration: char* (__stdcall * MobileTrans)(char *pindata,char *poutdata); */
typedef char *(__stdcall *MobileTransFn)(char *pindata, char *poutdata);
typedef char *(__stdcall *MobileTransExFn)(char *pindata, char *poutdata, uint32_t outCap,
                                           uint32_t *outLen);
typedef const wchar_t *(__stdcall *MobileTransWFn)(const wchar_t *pindata, wchar_t *poutdata);
typedef char *(__stdcall *LastOutputFn)(char *poutdata, uint32_t outCap, uint32_t *outLen);
typedef const wchar_t *(__stdcall *LastOutputWFn)(wchar_t *poutdata, uint32_t outCap, uint32_t *outLen);
typedef char *(__stdcall *VersionFn)(void);

static HMODULE Handle;
static MobileTransFn MobileTrans;
static MobileTransExFn MobileTransEx;
static MobileTransWFn MobileTransW;
static LastOutputFn OneTransLastOutput;
static LastOutputWFn OneTransLastOutputW;
static VersionFn OneTransVersion;

static const char *base_url;
static int passed, failed;
static CRITICAL_SECTION count_lock;

static void check(int ok, const char *what, const char *code, const char *out)
{
    EnterCriticalSection(&count_lock);
    if (ok) {
        passed++;
        printf("ok   %s (%s)\n", what, code ? code : "-");
    } else {
        failed++;
        printf("FAIL %s: code %s, output %.300s\n", what, code ? code : "(null)", out ? out : "(null)");
    }
    fflush(stdout);
    LeaveCriticalSection(&count_lock);
}

static int is(const char *code, const char *expected)
{
    return code != NULL && strcmp(code, expected) == 0;
}

/* --- loading, exactly like the vendor's sample --------------------------------------------- */

/* GetProcAddress returns FARPROC; casting it to the real type is what every caller does. GCC's
 * -Wcast-function-type (part of -Wextra) flags that cast, so it is silenced for these lines
 * only: they stay the vendor's code. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-function-type"
static int load_library(void)
{
    Handle = LoadLibrary("OneTrans.dll");
    if (Handle == NULL) {
        printf("FAIL LoadLibrary(\"OneTrans.dll\"): error %lu\n", GetLastError());
        return 0;
    }
    MobileTrans = (char *(__stdcall *)(char *, char *))GetProcAddress(Handle, "MobileTrans");
    MobileTransEx = (MobileTransExFn)GetProcAddress(Handle, "MobileTransEx");
    MobileTransW = (MobileTransWFn)GetProcAddress(Handle, "MobileTransW");
    OneTransLastOutput = (LastOutputFn)GetProcAddress(Handle, "OneTransLastOutput");
    OneTransLastOutputW = (LastOutputWFn)GetProcAddress(Handle, "OneTransLastOutputW");
    OneTransVersion = (VersionFn)GetProcAddress(Handle, "OneTransVersion");
    return 1;
}
#pragma GCC diagnostic pop

/* --- inputs ---------------------------------------------------------------------------------- */

static void url_for(char *buf, size_t size, const char *fault, const char *path)
{
    if (fault)
        snprintf(buf, size, "%s/_fault/%s%s", base_url, fault, path);
    else
        snprintf(buf, size, "%s%s", base_url, path);
}

/* A pushMsg input as in the vendor document, with the given address, order id, patient name
 * bytes (UTF-8 or GBK) and appKey. The timestamp is left empty: the library stamps it. */
static void push_msg_input(char *buf, size_t size, const char *url, const char *order,
                           const char *name, const char *app_key)
{
    snprintf(buf, size,
             "{\"data\":{\"serverAddr\":\"%s\",\"appId\":\"" APP_ID "\",\"appKey\":\"%s\","
             "\"encryptType\":\"SM4\",\"signType\":\"SM3\",\"timestamp\":\"\",\"version\":\"1.0.0\","
             "\"medOrgOrd\":\"%s\",\"orderStatus\":\"MERCHANT_WAIT_PAY\",\"orgCode\":\"H46040100001\","
             "\"patientName\":\"%s\",\"idType\":\"02\",\"idNo\":\"460029196507081627\","
             "\"pushType\":\"HOSPITAL_PAYMENT\",\"amt\":12.50},\"orgId\":\"H46010000000\"}",
             url, app_key, order, name);
}

static int valid_utf8(const char *s)
{
    return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0) > 0;
}

/* A base URL where nothing listens: a port that was free a moment ago. */
static void closed_url(char *buf, size_t size)
{
    WSADATA wsa;
    struct sockaddr_in addr;
    int len = sizeof addr;
    SOCKET s;
    unsigned port = 9;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) == 0) {
        s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        memset(&addr, 0, sizeof addr);
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (s != INVALID_SOCKET && bind(s, (struct sockaddr *)&addr, sizeof addr) == 0 &&
            getsockname(s, (struct sockaddr *)&addr, &len) == 0)
            port = ntohs(addr.sin_port);
        if (s != INVALID_SOCKET)
            closesocket(s);
        WSACleanup();
    }
    snprintf(buf, size, "http://127.0.0.1:%u" PUSH_MSG, port);
}

/* --- 32-bit: the callee cleans the stack ---------------------------------------------------- */

#if defined(_WIN32) && !defined(_WIN64)
/* Calls fn with nargs 32-bit arguments through a plain `call` and returns how far ESP moved
 * as the bytes left on the stack after the call. A __stdcall callee pops its own arguments: 0.
 * A cdecl callee leaves them for the caller: 4 * nargs. Globals, so that the asm
 * addresses them absolutely and never through ESP while it moves. */
static volatile uintptr_t g_fn, g_args[4], g_ret, g_before, g_after;
static volatile uint32_t g_nargs;

static int32_t stack_delta(void *fn, uint32_t nargs, const uintptr_t *args, uintptr_t *ret)
{
    g_fn = (uintptr_t)fn;
    g_nargs = nargs;
    for (uint32_t i = 0; i < nargs; i++)
        g_args[i] = args[i];
    __asm__ volatile("movl %%esp, %[before]\n\t"
                     "movl %[nargs], %%ecx\n\t"
                     "leal %[args], %%edx\n\t"
                     "jecxz 2f\n"
                     "1:\n\t"
                     "pushl -4(%%edx,%%ecx,4)\n\t"
                     "loop 1b\n"
                     "2:\n\t"
                     "call *%[fn]\n\t"
                     "movl %%eax, %[ret]\n\t"
                     "movl %%esp, %[after]\n\t"
                     "movl %[before], %%esp\n\t"
                     : [before] "=m"(g_before), [after] "=m"(g_after), [ret] "=m"(g_ret)
                     : [nargs] "m"(g_nargs), [args] "m"(g_args), [fn] "m"(g_fn)
                     : "eax", "ecx", "edx", "memory", "cc");
    if (ret)
        *ret = g_ret;
    /* The bytes the callee left on the stack. */
    return (int32_t)(g_before - g_after);
}

static const char *__cdecl control_cdecl(const char *a, const char *b)
{
    return a ? a : b;
}

static const char *__stdcall control_stdcall(const char *a, const char *b)
{
    return a ? a : b;
}

static void check_stdcall(char *out)
{
    char in[4096], url[512];
    uint32_t len = 0;
    uintptr_t ret = 0;
    int32_t delta;

    /* The check itself: a cdecl function leaves 8 bytes, a stdcall one none. */
    uintptr_t two[2] = {(uintptr_t) "a", (uintptr_t) "b"};
    delta = stack_delta((void *)control_cdecl, 2, two, NULL);
    check(delta == 8, "stack check sees a cdecl callee leave 8 bytes", NULL, NULL);
    delta = stack_delta((void *)control_stdcall, 2, two, NULL);
    check(delta == 0, "stack check sees a stdcall callee pop its arguments", NULL, NULL);

    url_for(url, sizeof url, NULL, PUSH_MSG);
    push_msg_input(in, sizeof in, url, "STDCALL-1", NAME_UTF8, APP_KEY);
    uintptr_t mt[2] = {(uintptr_t)in, (uintptr_t)out};
    delta = stack_delta((void *)MobileTrans, 2, mt, &ret);
    check(delta == 0 && is((const char *)ret, "000000"), "MobileTrans is __stdcall (ESP delta 0)",
          (const char *)ret, out);

    push_msg_input(in, sizeof in, url, "STDCALL-2", NAME_UTF8, APP_KEY);
    uintptr_t ex[4] = {(uintptr_t)in, (uintptr_t)out, OUT_SIZE, (uintptr_t)&len};
    delta = stack_delta((void *)MobileTransEx, 4, ex, &ret);
    check(delta == 0 && is((const char *)ret, "000000"), "MobileTransEx is __stdcall (ESP delta 0)",
          (const char *)ret, out);

    uintptr_t last[3] = {(uintptr_t)out, OUT_SIZE, (uintptr_t)&len};
    delta = stack_delta((void *)OneTransLastOutput, 3, last, &ret);
    check(delta == 0 && is((const char *)ret, "000000"),
          "OneTransLastOutput is __stdcall (ESP delta 0)", (const char *)ret, out);

    delta = stack_delta((void *)OneTransVersion, 0, NULL, &ret);
    check(delta == 0 && ret != 0, "OneTransVersion is __stdcall (ESP delta 0)", NULL, NULL);

    static wchar_t win[64], wout[OUT_SIZE / 2];
    wcscpy(win, L"{not json");
    uintptr_t w[2] = {(uintptr_t)win, (uintptr_t)wout};
    delta = stack_delta((void *)MobileTransW, 2, w, &ret);
    check(delta == 0 && ret != 0 && wcscmp((const wchar_t *)ret, L"000105") == 0,
          "MobileTransW is __stdcall (ESP delta 0)", NULL, NULL);
}
#endif

/* --- mode main ------------------------------------------------------------------------------- */

struct worker {
    int index;
    int ok;
};

/* Each thread sends its own order ids to the echo path and must get exactly its own back. */
static DWORD WINAPI worker_main(LPVOID arg)
{
    struct worker *w = arg;
    char in[4096], url[512], order[64];
    char *out = malloc(OUT_SIZE);
    uint32_t len = 0;
    w->ok = out != NULL;
    url_for(url, sizeof url, "echo", PUSH_MSG);
    for (int round = 0; out != NULL && round < ROUNDS; round++) {
        snprintf(order, sizeof order, "THREAD-%02d-%02d", w->index, round);
        push_msg_input(in, sizeof in, url, order, NAME_UTF8, APP_KEY);
        /* Alternate the two narrow interfaces. */
        const char *code = round % 2 ? MobileTransEx(in, out, OUT_SIZE, &len) : MobileTrans(in, out);
        if (!is(code, "000000") || strstr(out, order) == NULL || strstr(out, NAME_UTF8) == NULL) {
            check(0, "a thread's answer is its own", code, out);
            w->ok = 0;
        }
    }
    free(out);
    return 0;
}

/* Calls MobileTrans on a thread of its own with a small stack, for the hostile inputs. */
struct hostile {
    const char *in;
    char *out;
    const char *code;
};

static DWORD WINAPI hostile_main(LPVOID arg)
{
    struct hostile *h = arg;
    h->code = MobileTrans((char *)h->in, h->out);
    return 0;
}

static const char *call_on_small_stack(const char *in, char *out)
{
    struct hostile h = {in, out, NULL};
    HANDLE t = CreateThread(NULL, 256 * 1024, hostile_main, &h, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (t == NULL)
        return NULL;
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    return h.code;
}

/* The folder of a module (NULL: this program), with a trailing backslash. */
static void module_dir(HMODULE module, wchar_t *buf, size_t size)
{
    DWORD n = GetModuleFileNameW(module, buf, (DWORD)size);
    if (n == 0 || n >= size) {
        buf[0] = 0;
        return;
    }
    wchar_t *slash = wcsrchr(buf, L'\\');
    if (slash)
        slash[1] = 0;
}

/* Whether dir\SUB\onetrans-*.EXT exists and contains every one of the given texts (SUB ends
 * with a backslash). */
static int file_has(const wchar_t *dir, const wchar_t *sub, const wchar_t *ext, const char *const *texts, int count)
{
    wchar_t pattern[MAX_PATH * 2], path[MAX_PATH * 2];
    WIN32_FIND_DATAW found;
    _snwprintf(pattern, MAX_PATH * 2, L"%s%sonetrans-*.%s", dir, sub, ext);
    HANDLE f = FindFirstFileW(pattern, &found);
    if (f == INVALID_HANDLE_VALUE)
        return 0;
    FindClose(f);
    _snwprintf(path, MAX_PATH * 2, L"%s%s%s", dir, sub, found.cFileName);
    HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return 0;
    static char text[1 << 20];
    DWORD got = 0;
    BOOL ok = ReadFile(file, text, sizeof text - 1, &got, NULL);
    CloseHandle(file);
    if (!ok || got == 0)
        return 0;
    text[got] = 0;
    for (int i = 0; i < count; i++)
        if (strstr(text, texts[i]) == NULL)
            return 0;
    return 1;
}

/* Whether dir\log\onetrans-*.log exists and contains every one of the given texts. */
static int log_has(const wchar_t *dir, const char *const *texts, int count)
{
    return file_has(dir, L"log\\", L"log", texts, count);
}

/* Whether the call journal dir\log\journal\onetrans-*.jsonl (issue 13) contains every text. */
static int journal_has(const wchar_t *dir, const char *const *texts, int count)
{
    return file_has(dir, L"log\\journal\\", L"jsonl", texts, count);
}

static void mode_main(void)
{
    char in[4096], url[512], small[40], one[1];
    char *out = malloc(OUT_SIZE);
    uint32_t needed = 0, got = 0;
    const char *code;
    if (out == NULL)
        return;

    /* Exports: the plain names only (GetProcAddress(h, "MobileTrans"), not _MobileTrans@8). */
    check(MobileTrans && MobileTransEx && MobileTransW && OneTransLastOutput && OneTransVersion,
          "GetProcAddress finds the five exports by their plain names", NULL, NULL);
    if (!(MobileTrans && MobileTransEx && MobileTransW && OneTransLastOutput && OneTransVersion))
        return;
    const char *version = OneTransVersion();
    check(version != NULL && version[0] >= '0' && version[0] <= '9', "OneTransVersion", version, NULL);
    printf("     OneTrans.dll %s, %d-bit, ANSI code page %u\n", version, (int)sizeof(void *) * 8, GetACP());

    /* 1. MobileTrans succeeds, as in the vendor document. */
    url_for(url, sizeof url, NULL, PUSH_MSG);
    push_msg_input(in, sizeof in, url, "ZL050509083457355366", NAME_UTF8, APP_KEY);
    code = MobileTrans(in, out);
    check(is(code, "000000") && strstr(out, "\"code\":0") && strstr(out, "\"response\":\"SUCCESS\""),
          "MobileTrans: pushMsg succeeds", code, out);

    /* 2. MobileTransEx succeeds and reports the length it wrote. */
    push_msg_input(in, sizeof in, url, "EX-SUCCESS-1", NAME_UTF8, APP_KEY);
    code = MobileTransEx(in, out, OUT_SIZE, &needed);
    check(is(code, "000000") && strstr(out, "\"code\":0") && needed == strlen(out) + 1,
          "MobileTransEx: pushMsg succeeds, outLen = strlen + 1", code, out);

    /* 3. MobileTransW succeeds in UTF-16, the patient's name intact (echo path). */
    {
        static wchar_t win[4096], wout[OUT_SIZE / 2];
        char narrow[OUT_SIZE];
        url_for(url, sizeof url, NULL, PUSH_MSG);
        push_msg_input(in, sizeof in, url, "W-SUCCESS-1", NAME_UTF8, APP_KEY);
        MultiByteToWideChar(CP_UTF8, 0, in, -1, win, 4096);
        const wchar_t *wcode = MobileTransW(win, wout);
        WideCharToMultiByte(CP_UTF8, 0, wout, -1, narrow, sizeof narrow, NULL, NULL);
        check(wcode && wcscmp(wcode, L"000000") == 0 && wcsstr(wout, L"\"code\":0") && wcsstr(wout, L"SUCCESS"),
              "MobileTransW: pushMsg succeeds", wcode && wcscmp(wcode, L"000000") == 0 ? "000000" : "?", narrow);
        url_for(url, sizeof url, "echo", PUSH_MSG);
        push_msg_input(in, sizeof in, url, "W-ECHO-1", NAME_UTF8, APP_KEY);
        MultiByteToWideChar(CP_UTF8, 0, in, -1, win, 4096);
        wcode = MobileTransW(win, wout);
        WideCharToMultiByte(CP_UTF8, 0, wout, -1, narrow, sizeof narrow, NULL, NULL);
        check(wcode && wcscmp(wcode, L"000000") == 0 && wcsstr(wout, L"\u5468\u5927\u9e4f") && wcsstr(wout, L"\u6210\u529f"),
              "MobileTransW: Chinese text round-trips in UTF-16", NULL, narrow);
        wcode = MobileTransW(L"{not json", wout);
        check(wcode && wcscmp(wcode, L"000105") == 0, "MobileTransW: bad input gives 000105", NULL, NULL);
        static const wchar_t lone[] = {L'{', 0xD800, L'}', 0};
        wcode = MobileTransW(lone, wout);
        check(wcode && wcscmp(wcode, L"000105") == 0, "MobileTransW: a lone surrogate gives 000105", NULL, NULL);
    }

    /* 4. GBK in, GBK out: a caller that sends GBK bytes gets its answer in GBK. */
    url_for(url, sizeof url, "echo", PUSH_MSG);
    push_msg_input(in, sizeof in, url, "GBK-ECHO-1", NAME_GBK, APP_KEY);
    code = MobileTrans(in, out);
    check(is(code, "000000") && strstr(out, NAME_GBK) && strstr(out, OK_GBK) && !strstr(out, NAME_UTF8) &&
              !valid_utf8(out),
          "GBK input: the answer comes back in GBK", code, out);
    push_msg_input(in, sizeof in, url, "UTF8-ECHO-1", NAME_UTF8, APP_KEY);
    code = MobileTrans(in, out);
    check(is(code, "000000") && strstr(out, NAME_UTF8) && strstr(out, OK_UTF8) && valid_utf8(out),
          "UTF-8 input: the answer comes back in UTF-8", code, out);
    /* A plain-ASCII input follows the ANSI code page (charset=auto): GBK under 936, else UTF-8. */
    push_msg_input(in, sizeof in, url, "ASCII-ECHO-1", "Zhou", APP_KEY);
    code = MobileTrans(in, out);
    if (GetACP() == 936 || GetACP() == 54936)
        check(is(code, "000000") && strstr(out, OK_GBK), "ASCII input under code page 936: GBK answer", code, out);
    else
        check(is(code, "000000") && strstr(out, OK_UTF8), "ASCII input, code page not Chinese: UTF-8 answer", code, out);

    /* 5. Bad input and NULL pointers: 000105, nothing sent. */
    code = MobileTrans("{not json", out);
    check(is(code, "000105") && strstr(out, "\"respCode\":\"000105\""), "bad input gives 000105", code, out);
    code = MobileTrans(NULL, out);
    check(is(code, "000105"), "NULL pInData gives 000105", code, out);
    code = MobileTrans(in, NULL);
    check(is(code, "000105"), "NULL pOutData gives 000105", code, NULL);

    /* 6. The portal rejects a request signed with the wrong appKey: its code is passed through. */
    url_for(url, sizeof url, NULL, PUSH_MSG);
    push_msg_input(in, sizeof in, url, "WRONG-KEY-1", NAME_UTF8, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    code = MobileTrans(in, out);
    check(is(code, "000102"), "a wrong appKey is rejected by the portal: 000102", code, out);

    /* 7. The output cap: never written past outCap; the size needed is reported, and the full
     *    output is fetched with OneTransLastOutput without calling the portal again. */
    push_msg_input(in, sizeof in, url, "SMALL-BUFFER-1", NAME_UTF8, APP_KEY);
    memset(small, 'Z', sizeof small);
    code = MobileTransEx(in, small, 16, &needed);
    int untouched = 1;
    for (size_t i = 16; i < sizeof small; i++)
        untouched &= small[i] == 'Z';
    check(is(code, "000106") && needed > 16 && untouched && memchr(small, 0, 16) != NULL,
          "MobileTransEx with a 16-byte cap: 000106, nothing past the cap", code, small);
    code = OneTransLastOutput(out, OUT_SIZE, &got);
    check(is(code, "000000") && got == needed && strlen(out) + 1 == needed && strstr(out, "SUCCESS"),
          "OneTransLastOutput returns the full output", code, out);
    /* A failure keeps its own code when its output does not fit (issue 10 item 8, see
     * docs/DECISIONS.md): 000105 here, no longer 000106; the NUL alone is written. */
    one[0] = 'Z';
    code = MobileTransEx("{}", one, 1, &needed);
    check(is(code, "000105") && one[0] == '\0', "a 1-byte buffer gets an empty string", code, NULL);

    /* 8. Nothing listens: not delivered, safe to retry. */
    closed_url(url, sizeof url);
    push_msg_input(in, sizeof in, url, "UNREACHABLE-1", NAME_UTF8, APP_KEY);
    code = MobileTrans(in, out);
    check(is(code, "000100"), "a closed port gives 000100", code, out);

    /* 9. Hostile input: a code comes back and the process lives on (no panic crosses). */
    {
        size_t n = 2 * HOSTILE_DEPTH + 1;
        char *deep = malloc(n);
        char *deep_obj = malloc(8 * HOSTILE_DEPTH + 1);
        if (deep && deep_obj) {
            memset(deep, '[', HOSTILE_DEPTH);
            memset(deep + HOSTILE_DEPTH, ']', HOSTILE_DEPTH);
            deep[n - 1] = 0;
            code = MobileTrans(deep, out);
            check(is(code, "000105"), "100,000-deep [[[...]]] gives 000105", code, out);
            code = call_on_small_stack(deep, out);
            check(is(code, "000105"), "100,000-deep nesting on a 256 KiB thread stack gives 000105", code, out);
            char *p = deep_obj;
            for (int i = 0; i < HOSTILE_DEPTH; i++, p += 8)
                memcpy(p, "{\"data\":", 8);
            *p = 0;
            code = MobileTrans(deep_obj, out);
            check(is(code, "000105"), "100,000-deep {\"data\":{\"data\":... gives 000105", code, out);
        }
        free(deep);
        free(deep_obj);
        code = MobileTrans("\xff\xfe\x80{\"data\":\x81\x82\xc0\xaf}", out);
        check(code != NULL && strlen(code) == 6, "invalid bytes give a code", code, out);
        url_for(url, sizeof url, NULL, PUSH_MSG);
        push_msg_input(in, sizeof in, url, "AFTER-HOSTILE-1", NAME_UTF8, APP_KEY);
        code = MobileTrans(in, out);
        check(is(code, "000000"), "the process and the library live on after hostile input", code, out);
    }

    /* 10. Eight threads at once, each getting its own answer (the portal echoes the data). */
    {
        HANDLE threads[THREADS];
        struct worker workers[THREADS];
        int all_ok = 1;
        for (int i = 0; i < THREADS; i++) {
            workers[i].index = i;
            workers[i].ok = 0;
            threads[i] = CreateThread(NULL, 0, worker_main, &workers[i], 0, NULL);
            all_ok &= threads[i] != NULL;
        }
        WaitForMultipleObjects(THREADS, threads, TRUE, INFINITE);
        for (int i = 0; i < THREADS; i++) {
            all_ok &= workers[i].ok;
            CloseHandle(threads[i]);
        }
        check(all_ok, "8 threads (CreateThread) x 5 calls at once, each answer its own", "000000", NULL);
    }

#if defined(_WIN32) && !defined(_WIN64)
    /* 11. 32-bit: the exports are __stdcall (the callee pops its arguments). */
    check_stdcall(out);
#endif

    /* 12. SM2 (spec section 11): a signed call and a verified answer, through both interfaces;
     *     the wrong serverPubKey is 000102. The app is registered by scripts/windows/test.sh. */
    {
        static const char sm2_in[] =
            "{\"data\":{\"serverAddr\":\"%s\",\"appId\":\"SM2WINETESTAPP0000000000000000AB\","
            "\"appKey\":\"Sm2WineTestKey0Sm2WineTestKey0AB\",\"signType\":\"sm2\","
            "\"clientPrvKey\":\"AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0\","
            "\"serverPubKey\":\"%s\",\"mobileDrugTipsId\":\"%s\",\"drugTipsIdType\":\"qr\"},"
            "\"orgId\":\"H1\"}";
        static const char portal_pub[] =
            "047DA2F9B9B068936A33F4A8A71C7B305DC8CE398905B5DCEB0C209130011ECDA6F02373E071FB6D37BF10C21457CBC9DBD0115073F55C1A2ECBC0B5A9308EB2B4";
        char url[512], in[2048];
        wchar_t win[2048];
        wchar_t *wout = (wchar_t *)out;
        const char *code;
        const wchar_t *wcode;
        char ticket[64];
        url_for(url, sizeof url, NULL, "/api/mobile/verificationDrug");
        snprintf(ticket, sizeof ticket, "SM2-WINE-%lu-%d", (unsigned long)GetCurrentProcessId(), (int)sizeof(void *));
        snprintf(in, sizeof in, sm2_in, url, portal_pub, ticket);
        code = MobileTrans(in, out);
        check(is(code, "000000") && strstr(out, "\"code\":0") != NULL, "SM2: a signed call, the answer verified", code, out);

        snprintf(ticket, sizeof ticket, "SM2-WINE-W-%lu-%d", (unsigned long)GetCurrentProcessId(), (int)sizeof(void *));
        snprintf(in, sizeof in, sm2_in, url, portal_pub, ticket);
        MultiByteToWideChar(CP_UTF8, 0, in, -1, win, 2048);
        wcode = MobileTransW(win, wout);
        check(wcode != NULL && wcscmp(wcode, L"000000") == 0 && wcsstr(wout, L"\"code\":0") != NULL,
              "SM2 through MobileTransW", wcode && wcscmp(wcode, L"000000") == 0 ? "000000" : "other", NULL);

        snprintf(ticket, sizeof ticket, "SM2-WINE-BAD-%lu-%d", (unsigned long)GetCurrentProcessId(), (int)sizeof(void *));
        /* The client's own public key as serverPubKey: a valid key, not the portal's. */
        snprintf(in, sizeof in, sm2_in, url,
                 "0444B4B876E7C2FBD2932391323431C0EDADDE62218647AF639564C633AD357AFE18B4BE1BA4354D114EF9347FB5F698A5A3D5E7BFE1C476A2082FE89F7C6C4F94",
                 ticket);
        code = MobileTrans(in, out);
        check(is(code, "000102"), "SM2: an answer that does not verify under serverPubKey is 000102", code, out);
    }

    /* 13. Windows default: the log goes to the "log" folder beside the DLL. */
    {
        wchar_t dir[MAX_PATH * 2];
        static const char *const texts[] = {"code=000000", "code=000102"};
        module_dir(Handle, dir, MAX_PATH * 2);
        check(log_has(dir, texts, 2), "the log is written to log\\ beside the DLL (default)", NULL, NULL);
        /* 13. The call journal: log\journal beside the DLL, an intent and an outcome per call. */
        static const char *const records[] = {"\"event\":\"intent\"", "\"event\":\"outcome\"",
                                              "\"code\":\"000000\"", "\"medOrgOrd\":\""};
        check(journal_has(dir, records, 4), "the call journal is written to log\\journal\\ beside the DLL", NULL, NULL);
    }
    free(out);
}

/* --- the other modes ------------------------------------------------------------------------ */

typedef int32_t(__stdcall *PanicProbeFn)(uint32_t depth);
static PanicProbeFn PanicProbe;

static DWORD WINAPI panic_worker(LPVOID arg)
{
    int *caught = arg;
    for (int i = 0; i < 100; i++)
        *caught += PanicProbe((uint32_t)(i % 20)) == 1;
    return 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-function-type"
static void mode_panic(void)
{
    HMODULE probe = LoadLibraryA("onetrans_panic_probe.dll");
    PanicProbe = probe ? (PanicProbeFn)GetProcAddress(probe, "PanicProbe") : NULL;
    check(PanicProbe != NULL, "the panic probe DLL loads", NULL, NULL);
    if (PanicProbe == NULL)
        return;
#pragma GCC diagnostic pop
    check(PanicProbe(0) == 1, "a panic inside catch_unwind is caught", NULL, NULL);
    check(PanicProbe(64) == 1, "a panic 64 frames down is caught, the frames dropped", NULL, NULL);
    int caught = 0;
    for (int i = 0; i < 1000; i++)
        caught += PanicProbe((uint32_t)(i % 10)) == 1;
    check(caught == 1000, "1000 panics in a row are caught", NULL, NULL);

    HANDLE threads[THREADS];
    int counts[THREADS] = {0};
    for (int i = 0; i < THREADS; i++)
        threads[i] = CreateThread(NULL, 0, panic_worker, &counts[i], 0, NULL);
    WaitForMultipleObjects(THREADS, threads, TRUE, INFINITE);
    int all = 1;
    for (int i = 0; i < THREADS; i++) {
        all &= counts[i] == 100;
        CloseHandle(threads[i]);
    }
    check(all, "8 threads x 100 panics at once, all caught", NULL, NULL);
#if defined(_WIN32) && !defined(_WIN64)
    uintptr_t args[1] = {3}, ret = 0;
    int32_t delta = stack_delta((void *)PanicProbe, 1, args, &ret);
    check(delta == 0 && ret == 1, "after a caught panic the stack is balanced (ESP delta 0)", NULL, NULL);
#endif
    check(1, "the process lives on", NULL, NULL);
}

static void mode_timeout(void)
{
    char in[4096], url[512], env[32] = "";
    char *out = malloc(OUT_SIZE);
    if (out == NULL || MobileTrans == NULL)
        return;
    GetEnvironmentVariableA("ONETRANS_READ_TIMEOUT_MS", env, sizeof env);
    check(strcmp(env, "1000") == 0, "ONETRANS_READ_TIMEOUT_MS=1000 is set", env, NULL);
    url_for(url, sizeof url, "slow=3000", PUSH_MSG);
    push_msg_input(in, sizeof in, url, "SLOW-1", NAME_UTF8, APP_KEY);
    DWORD start = GetTickCount();
    const char *code = MobileTrans(in, out);
    DWORD ms = GetTickCount() - start;
    printf("     the call returned after %lu ms\n", (unsigned long)ms);
    check(is(code, "000001") && strstr(out, "\"respCode\":\"000001\"") && ms >= 900 && ms < 2800,
          "a portal slower than readTimeoutMs gives 000001 (outcome unknown) after ~1 s", code, out);
    free(out);
}

/* Issue 10 item 5 under code page 936: a GBK name whose bytes are also valid UTF-8 is read as
 * GBK. The echo fault answers the request data as the portal decoded it: the stored output,
 * read back in UTF-16 with OneTransLastOutputW, shows whether the portal got 叶倩 or Ҷٻ, and
 * the narrow answer must be GBK (成功 in GBK, not in UTF-8). Genuine UTF-8 stays UTF-8. */
static void acp936_ambiguous_names(char *in, char *out)
{
    static const struct {
        const char *gbk, *label;
        const wchar_t *wide;
    } names[] = {
        {YE_QIAN_GBK, "\xe5\x8f\xb6\xe5\x80\xa9 (D2B6 D9BB)", YE_QIAN_W},
        {ZHEN_A_GBK, "\xe7\xa8\xb9\xe9\x98\xbf (F0A1 B0A2)", ZHEN_A_W},
    };
    static wchar_t wout[OUT_SIZE / 2];
    char url[512], what[160], order[32];
    url_for(url, sizeof url, "echo", PUSH_MSG);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(order, sizeof order, "ACP936-AMBIGUOUS-%u", (unsigned)i);
        push_msg_input(in, 4096, url, order, names[i].gbk, APP_KEY);
        check(valid_utf8(in), "the GBK request is valid UTF-8 too (the ambiguous case)", NULL, NULL);
        const char *code = MobileTrans(in, out);
        snprintf(what, sizeof what, "GBK %s that is valid UTF-8: answered in GBK", names[i].label);
        check(is(code, "000000") && strstr(out, names[i].gbk) && strstr(out, OK_GBK) && !strstr(out, OK_UTF8),
              what, code, out);
        uint32_t len = 0;
        const wchar_t *wcode = OneTransLastOutputW ? OneTransLastOutputW(wout, OUT_SIZE / 2, &len) : NULL;
        snprintf(what, sizeof what, "GBK %s that is valid UTF-8: the portal received it as GBK", names[i].label);
        check(wcode && wcscmp(wcode, L"000000") == 0 && wcsstr(wout, names[i].wide) && wcsstr(wout, L"\u6210\u529f"),
              what, NULL, NULL);
    }
    push_msg_input(in, 4096, url, "ACP936-UTF8-2", MAIMAITI_UTF8, APP_KEY);
    const char *code = MobileTrans(in, out);
    check(is(code, "000000") && strstr(out, MAIMAITI_UTF8) && strstr(out, OK_UTF8),
          "genuine UTF-8 (\xe4\xb9\xb0\xe4\xb9\xb0\xe6\x8f\x90\xc2\xb7\xe8\x89\xbe\xe5\x8a\x9b) stays UTF-8 under code page 936",
          code, out);
}

static void mode_acp936(void)
{
    char in[4096], url[512];
    char *out = malloc(OUT_SIZE);
    if (out == NULL || MobileTrans == NULL)
        return;
    check(GetACP() == 936, "the ANSI code page is 936 under a Chinese locale", NULL, NULL);
    url_for(url, sizeof url, "echo", PUSH_MSG);
    push_msg_input(in, sizeof in, url, "ACP936-1", "Zhou", APP_KEY);
    const char *code = MobileTrans(in, out);
    check(is(code, "000000") && strstr(out, OK_GBK) && !valid_utf8(out),
          "charset=auto: a plain-ASCII caller gets GBK under code page 936", code, out);
    push_msg_input(in, sizeof in, url, "ACP936-2", NAME_UTF8, APP_KEY);
    code = MobileTrans(in, out);
    check(is(code, "000000") && strstr(out, NAME_UTF8) && strstr(out, OK_UTF8),
          "a UTF-8 caller still gets UTF-8 under code page 936", code, out);
    acp936_ambiguous_names(in, out);
    free(out);
}

/* --- mode codes (issue 10 items 2, 3, 4, 9) --------------------------------------------------- */

/* Runs fn(arg) on a new thread (CreateThread) and joins it (WaitForSingleObject + CloseHandle). */
static int run_thread(LPTHREAD_START_ROUTINE fn, void *arg)
{
    HANDLE t = CreateThread(NULL, 0, fn, arg, 0, NULL);
    if (t == NULL)
        return 0;
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    return 1;
}

/* Items 2 and 3: what a portal code that is not the library's own becomes, narrow and wide. */
static void codes_portal(char *out)
{
    static wchar_t win[4096], wout[OUT_SIZE / 2];
    char in[4096], url[512];
    const char *code;
    const wchar_t *wcode;

    /* The portal's own 000100 (外部接口存在问题): it received the request, outcome unknown. */
    url_for(url, sizeof url, "upstream", PUSH_MSG);
    push_msg_input(in, sizeof in, url, "UPSTREAM-1", NAME_UTF8, APP_KEY);
    code = MobileTrans(in, out);
    check(is(code, "000001") && strstr(out, "\"respCode\":\"000001\"") && strstr(out, UPSTREAM_UTF8),
          "the portal's own 000100 gives 000001, its code and message in the output", code, out);
    MultiByteToWideChar(CP_UTF8, 0, in, -1, win, 4096);
    wcode = MobileTransW(win, wout);
    check(wcode && wcscmp(wcode, L"000001") == 0 && wcsstr(wout, L"\"respCode\":\"000001\"") &&
              wcsstr(wout, L"000100\uff1a\u5916\u90e8\u63a5\u53e3\u5b58\u5728\u95ee\u9898"),
          "MobileTransW: the portal's own 000100 gives 000001", NULL, NULL);

    /* An unsigned rejection whose respCode is "000000 " (a trailing space): never trimmed. */
    url_for(url, sizeof url, "spacedcode", PUSH_MSG);
    push_msg_input(in, sizeof in, url, "SPACED-1", NAME_UTF8, APP_KEY);
    code = MobileTrans(in, out);
    check(is(code, "000002") && strstr(out, "\"respCode\":\"000002\"") && strstr(out, "000000 "),
          "a respCode \"000000 \" gives 000002 (malformed), never 000000", code, out);
    MultiByteToWideChar(CP_UTF8, 0, in, -1, win, 4096);
    wcode = MobileTransW(win, wout);
    check(wcode && wcscmp(wcode, L"000002") == 0 && wcsstr(wout, L"\"respCode\":\"000002\""),
          "MobileTransW: a respCode \"000000 \" gives 000002", NULL, NULL);
}

/* Item 4: OneTransLastOutput(W) on a thread that has made no call. Buffers full of 'A'; a
 * large one gets the failure JSON, a small one (100 bytes / 50 units) is never written past. */
struct fresh {
    const char *code, *small_code;
    const wchar_t *wcode, *wsmall_code;
    uint32_t len, small_len, wlen, wsmall_len;
    char out[4096], small[128];
    wchar_t wout[2048], wsmall[64];
};

static DWORD WINAPI fresh_narrow(LPVOID arg)
{
    struct fresh *f = arg;
    memset(f->out, 'A', sizeof f->out);
    memset(f->small, 'A', sizeof f->small);
    f->code = OneTransLastOutput(f->out, sizeof f->out, &f->len);
    f->small_code = OneTransLastOutput(f->small, 100, &f->small_len);
    return 0;
}

static DWORD WINAPI fresh_wide(LPVOID arg)
{
    struct fresh *f = arg;
    wmemset(f->wout, L'A', sizeof f->wout / sizeof f->wout[0]);
    wmemset(f->wsmall, L'A', sizeof f->wsmall / sizeof f->wsmall[0]);
    f->wcode = OneTransLastOutputW(f->wout, sizeof f->wout / sizeof f->wout[0], &f->wlen);
    f->wsmall_code = OneTransLastOutputW(f->wsmall, 50, &f->wsmall_len);
    return 0;
}

static int all_bytes(const char *p, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static int all_units(const wchar_t *p, size_t n, wchar_t c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static void codes_fresh_thread(void)
{
    static struct fresh f;
    memset(&f, 0, sizeof f);
    int ran = run_thread(fresh_narrow, &f);
    int ended = ran && memchr(f.out, 0, sizeof f.out) != NULL;
    check(ran && is(f.code, "000105") && ended && f.out[0] == '{' &&
              strstr(f.out, "\"respCode\":\"000105\"") && f.len == strlen(f.out) + 1,
          "OneTransLastOutput on a fresh thread: 000105 and a NUL-terminated failure JSON", f.code,
          ended ? f.out : NULL);
    check(ran && f.small_code != NULL && strcmp(f.small_code, "000000") != 0 && memchr(f.small, 0, 100) &&
              all_bytes(f.small + 100, sizeof f.small - 100, 'A'),
          "OneTransLastOutput on a fresh thread, 100-byte cap: not 000000, NUL written, nothing past the cap",
          f.small_code, NULL);

    if (OneTransLastOutputW == NULL)
        return; /* failed in mode_codes */
    ran = run_thread(fresh_wide, &f);
    ended = ran && wmemchr(f.wout, 0, sizeof f.wout / sizeof f.wout[0]) != NULL;
    check(ran && f.wcode && wcscmp(f.wcode, L"000105") == 0 && ended && f.wout[0] == L'{' &&
              wcsstr(f.wout, L"\"respCode\":\"000105\"") && f.wlen == wcslen(f.wout) + 1,
          "OneTransLastOutputW on a fresh thread: 000105 and a 0-terminated failure JSON", NULL, NULL);
    check(ran && f.wsmall_code && wcscmp(f.wsmall_code, L"000000") != 0 && wmemchr(f.wsmall, 0, 50) &&
              all_units(f.wsmall + 50, sizeof f.wsmall / sizeof f.wsmall[0] - 50, L'A'),
          "OneTransLastOutputW on a fresh thread, 50-unit cap: not 000000, 0 written, nothing past the cap",
          NULL, NULL);
}

/* Item 9: the code strings a thread got, read after the thread ended. The thread gets a
 * portal code passed through (404404) and a library code (000105), from MobileTrans and from
 * MobileTransW; it exits and is joined; then other threads call and allocate (so that freed
 * memory would be reused) before the main thread reads the strings. */
struct kept_codes {
    const char *passed, *fixed;
    const wchar_t *wpassed, *wfixed;
};

static DWORD WINAPI codes_worker(LPVOID arg)
{
    struct kept_codes *k = arg;
    char in[4096], url[512];
    wchar_t *win = malloc(4096 * sizeof *win), *wout = malloc(OUT_SIZE);
    char *out = malloc(OUT_SIZE);
    if (win && wout && out) {
        url_for(url, sizeof url, NULL, UNKNOWN_PATH);
        push_msg_input(in, sizeof in, url, "THREAD-EXIT-1", NAME_UTF8, APP_KEY);
        k->passed = MobileTrans(in, out);
        k->fixed = MobileTrans("{not json", out);
        MultiByteToWideChar(CP_UTF8, 0, in, -1, win, 4096);
        k->wpassed = MobileTransW(win, wout);
        k->wfixed = MobileTransW(L"{not json", wout);
    }
    free(win);
    free(wout);
    free(out);
    return 0;
}

/* Another thread's calls (other codes) and small allocations, after the first one ended. */
static DWORD WINAPI churn_worker(LPVOID arg)
{
    char in[4096], url[512];
    char *out = malloc(OUT_SIZE);
    void *blocks[256];
    (void)arg;
    if (out) {
        url_for(url, sizeof url, NULL, PUSH_MSG);
        push_msg_input(in, sizeof in, url, "THREAD-EXIT-2", NAME_UTF8, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        MobileTrans(in, out);
        MobileTransW(L"{\"data\":1}", (wchar_t *)out);
    }
    for (int i = 0; i < 256; i++) {
        blocks[i] = malloc(16 + i % 64);
        if (blocks[i])
            memset(blocks[i], 'X', 16 + i % 64);
    }
    for (int i = 0; i < 256; i++)
        free(blocks[i]);
    free(out);
    return 0;
}

static void codes_after_thread_exit(void)
{
    struct kept_codes k = {NULL, NULL, NULL, NULL};
    int ran = run_thread(codes_worker, &k);
    for (int i = 0; i < 4; i++)
        ran &= run_thread(churn_worker, NULL);
    check(ran, "the calling thread exited and was joined (WaitForSingleObject + CloseHandle)", NULL, NULL);
    check(is(k.passed, "404404"), "MobileTrans: a passed-through portal code (404404) outlives its thread",
          k.passed, NULL);
    check(is(k.fixed, "000105"), "MobileTrans: a library code (000105) outlives its thread", k.fixed, NULL);
    check(k.wpassed && wcscmp(k.wpassed, L"404404") == 0,
          "MobileTransW: a passed-through portal code (404404) outlives its thread", NULL, NULL);
    check(k.wfixed && wcscmp(k.wfixed, L"000105") == 0,
          "MobileTransW: a library code (000105) outlives its thread", NULL, NULL);
}

static void mode_codes(void)
{
    char *out = malloc(OUT_SIZE);
    check(OneTransLastOutputW != NULL, "GetProcAddress finds OneTransLastOutputW", NULL, NULL);
    if (out == NULL || MobileTrans == NULL || MobileTransW == NULL || OneTransLastOutput == NULL)
        return;
    codes_fresh_thread(); /* first: no thread of this process has called yet */
    codes_portal(out);
    codes_after_thread_exit();
    free(out);
}

/* Copies OneTrans.dll and this program from this program's folder into DIR (made if need be). */
static BOOL copy_into(const wchar_t *here, const wchar_t *dir)
{
    wchar_t from[MAX_PATH * 2], to[MAX_PATH * 2];
    CreateDirectoryW(dir, NULL);
    _snwprintf(from, MAX_PATH * 2, L"%sOneTrans.dll", here);
    _snwprintf(to, MAX_PATH * 2, L"%sOneTrans.dll", dir);
    BOOL ok = CopyFileW(from, to, FALSE);
    GetModuleFileNameW(NULL, from, MAX_PATH * 2);
    _snwprintf(to, MAX_PATH * 2, L"%sonetrans_test.exe", dir);
    return ok && CopyFileW(from, to, FALSE);
}

/* Writes DIR\OneTrans.ini with exactly these bytes. */
static BOOL write_ini(const wchar_t *dir, const char *bytes, size_t size)
{
    wchar_t path[MAX_PATH * 2];
    _snwprintf(path, MAX_PATH * 2, L"%sOneTrans.ini", dir);
    HANDLE f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD wrote = 0;
    BOOL ok = f != INVALID_HANDLE_VALUE && WriteFile(f, bytes, (DWORD)size, &wrote, NULL) && wrote == size;
    if (f != INVALID_HANDLE_VALUE)
        CloseHandle(f);
    return ok;
}

/* Runs DIR\onetrans_test.exe CHILD_MODE in the working directory ELSEWHERE (so only the DLL's
 * own path can lead the library to its INI and log folder); returns whether it exited 0. */
static BOOL run_copy(const wchar_t *dir, const wchar_t *elsewhere, const char *child_mode)
{
    wchar_t exe[MAX_PATH * 2], cmd[2048];
    _snwprintf(exe, MAX_PATH * 2, L"%sonetrans_test.exe", dir);
    _snwprintf(cmd, 2048, L"\"%s\" %hs %hs", exe, child_mode, base_url);
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    fflush(stdout);
    BOOL ok = CreateProcessW(exe, cmd, NULL, NULL, TRUE, 0, NULL, elsewhere, &si, &pi);
    DWORD exit_code = 1;
    if (ok) {
        WaitForSingleObject(pi.hProcess, 120000);
        GetExitCodeProcess(pi.hProcess, &exit_code);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
    }
    return ok && exit_code == 0;
}

/* The parent: lays out "his 医保" beside this program and runs the copy there. */
static void mode_folder(void)
{
    wchar_t here[MAX_PATH * 2], dir[MAX_PATH * 2], elsewhere[MAX_PATH * 2], to[MAX_PATH * 2];
    module_dir(NULL, here, MAX_PATH * 2);
    _snwprintf(dir, MAX_PATH * 2, L"%s" FOLDER L"\\", here);
    _snwprintf(elsewhere, MAX_PATH * 2, L"%selsewhere\\", here);
    CreateDirectoryW(elsewhere, NULL);
    check(copy_into(here, dir), "OneTrans.dll and the client copied into \"his \xe5\x8c\xbb\xe4\xbf\x9d\"", NULL, NULL);

    static const char ini[] = "; written by the test client\r\n[onetrans]\r\nlogDir = log\r\n"
                              "logLevel = info\r\nreadTimeoutMs = 1500\r\n";
    check(write_ini(dir, ini, sizeof ini - 1), "OneTrans.ini written beside the copied DLL", NULL, NULL);

    check(run_copy(dir, elsewhere, "folder-child"), "the copy in \"his \xe5\x8c\xbb\xe4\xbf\x9d\" passed its checks", NULL, NULL);

    static const char *const texts[] = {"code=000000", "code=000001"};
    check(log_has(dir, texts, 2), "the log file is in \"his \xe5\x8c\xbb\xe4\xbf\x9d\\log\" (logDir=log from the INI)", NULL,
          NULL);
    _snwprintf(to, MAX_PATH * 2, L"%slog", elsewhere);
    check(GetFileAttributesW(to) == INVALID_FILE_ATTRIBUTES, "no log folder in the working directory", NULL, NULL);
}

/* --- mode badini (issue 10 item 1) -------------------------------------------------------------- */

#define CANARY_CAP 256     /* outBufSize = 256: the smallest accepted */
#define CANARY_BYTES 16384 /* the canary after the caller's buffer */

/* The parent: for each kind of bad OneTrans.ini, writes it beside a copy of the DLL in
 * "his 医保 bad-ini" and runs the copy there (mode badini-child, a new process each time:
 * the library reads its settings once per process). */
static void mode_badini(void)
{
    static const char long_bad[] = "\xe8\xbf\x99\xe6\x98\xaf\xe4\xb8\x80\xe8\xa1\x8c\xe5\xbe\x88"
                                   "\xe9\x95\xbf\xe7\x9a\x84\xe9\x94\x99\xe8\xaf\xaf\xe9\x85\x8d\xe7\xbd\xae";
    static const char typo[] = "[onetrans]\r\noutBufSize = 256\r\nreadTimeOut = 5\r\n";
    static char long_value[64 + 100 * sizeof long_bad], utf16[512];
    wchar_t here[MAX_PATH * 2], dir[MAX_PATH * 2], elsewhere[MAX_PATH * 2], wide[128];

    /* A bad value quoted in the message: 100 times 这是一行很长的错误配置 (3,300 bytes). */
    char *p = long_value + sprintf(long_value, "[onetrans]\r\noutBufSize = 256\r\nreadTimeoutMs = ");
    for (int i = 0; i < 100; i++)
        p += sprintf(p, "%s", long_bad);
    p += sprintf(p, "\r\n");
    /* Notepad's "Unicode": UTF-16-LE with a byte-order mark, the same typo. */
    int units = MultiByteToWideChar(CP_UTF8, 0, typo, -1, wide, 128) - 1;
    utf16[0] = (char)0xFF;
    utf16[1] = (char)0xFE;
    for (int i = 0; i < units; i++) {
        utf16[2 + 2 * i] = (char)(wide[i] & 0xFF);
        utf16[3 + 2 * i] = (char)(wide[i] >> 8);
    }
    const struct {
        const char *name, *bytes;
        size_t size;
    } inis[] = {
        {"outBufSize = 256 and a typo key (readTimeOut = 5)", typo, sizeof typo - 1},
        {"outBufSize = 256 and a 3,300-byte bad value", long_value, (size_t)(p - long_value)},
        {"outBufSize misspelt (outBufSise = 256)", "[onetrans]\r\noutBufSise = 256\r\n", 0},
        {"outBufSize not a number (256 bytes)", "[onetrans]\r\noutBufSize = 256 bytes\r\n", 0},
        {"outBufSize = 256 and a GBK key (\xe6\x97\xa5\xe5\xbf\x97 = 1, Notepad's ANSI)",
         "[onetrans]\r\noutBufSize = 256\r\n\xc8\xd5\xd6\xbe = 1\r\n", 0},
        {"UTF-16 with a BOM (Notepad's Unicode), a typo key", utf16, 2 + 2 * (size_t)units},
    };

    module_dir(NULL, here, MAX_PATH * 2);
    _snwprintf(dir, MAX_PATH * 2, L"%s" BAD_INI_FOLDER L"\\", here);
    _snwprintf(elsewhere, MAX_PATH * 2, L"%selsewhere\\", here);
    CreateDirectoryW(elsewhere, NULL);
    BOOL ok = copy_into(here, dir);
    check(ok, "OneTrans.dll and the client copied into \"his \xe5\x8c\xbb\xe4\xbf\x9d bad-ini\"", NULL, NULL);
    if (!ok)
        return;
    for (size_t i = 0; i < sizeof inis / sizeof inis[0]; i++) {
        char what[256];
        size_t size = inis[i].size ? inis[i].size : strlen(inis[i].bytes);
        printf("     OneTrans.ini: %s\n", inis[i].name);
        snprintf(what, sizeof what, "bad OneTrans.ini, %s: 000105, the canary after 256 bytes intact", inis[i].name);
        check(write_ini(dir, inis[i].bytes, size) && run_copy(dir, elsewhere, "badini-child"), what, NULL, NULL);
    }
}

/* The child: MobileTrans into 256 bytes and MobileTransW into 128 UTF-16 units (outBufSize
 * bytes), each followed by a canary that must survive; the answer is 000105 (nothing is sent:
 * the address is a closed port anyway). */
static void mode_badini_child(void)
{
    char in[4096], url[512];
    unsigned char *buf = malloc(CANARY_CAP + CANARY_BYTES);
    uint16_t *wbuf = malloc(CANARY_CAP + 2 * CANARY_BYTES);
    wchar_t win[4096];
    if (buf == NULL || wbuf == NULL || MobileTrans == NULL || MobileTransW == NULL)
        return;
    closed_url(url, sizeof url);
    push_msg_input(in, sizeof in, url, "CANARY-1", NAME_UTF8, APP_KEY);

    memset(buf, 0xA5, CANARY_CAP + CANARY_BYTES);
    const char *code = MobileTrans(in, (char *)buf);
    size_t touched = 0;
    for (size_t i = CANARY_CAP; i < CANARY_CAP + CANARY_BYTES; i++)
        touched += buf[i] != 0xA5;
    const unsigned char *nul = memchr(buf, 0, CANARY_CAP);
    printf("     MobileTrans: %u canary bytes overwritten, output %s\n", (unsigned)touched,
           nul ? (const char *)buf : "(not terminated within 256 bytes)");
    check(is(code, "000105") && touched == 0 && nul != NULL &&
              (nul == buf || strstr((const char *)buf, "\"respCode\":\"000105\"")),
          "MobileTrans into a 256-byte buffer: 000105, NUL within it, the canary intact", code, NULL);

    MultiByteToWideChar(CP_UTF8, 0, in, -1, win, 4096);
    for (size_t i = 0; i < CANARY_CAP / 2 + CANARY_BYTES; i++)
        wbuf[i] = 0xA5A5;
    const wchar_t *wcode = MobileTransW(win, (wchar_t *)wbuf);
    touched = 0;
    for (size_t i = CANARY_CAP / 2; i < CANARY_CAP / 2 + CANARY_BYTES; i++)
        touched += wbuf[i] != 0xA5A5;
    const wchar_t *wnul = wmemchr((const wchar_t *)wbuf, 0, CANARY_CAP / 2);
    printf("     MobileTransW: %u canary units overwritten\n", (unsigned)touched);
    check(wcode && wcscmp(wcode, L"000105") == 0 && touched == 0 && wnul != NULL &&
              (wnul == (const wchar_t *)wbuf || wcsstr((const wchar_t *)wbuf, L"\"respCode\":\"000105\"")),
          "MobileTransW into 128 units: 000105, 0 within them, the canary intact", NULL, NULL);
    free(buf);
    free(wbuf);
}

/* --- mode unload (issue 10 item 6) -------------------------------------------------------------- */

/* Run by test.sh in a network namespace whose resolver (127.0.0.1:53) reads queries and never
 * answers, with ONETRANS_CONNECT_TIMEOUT_MS=1000. The call gives up on the lookup after about
 * a second and returns, while the lookup's thread stays in getaddrinfo (the system resolver
 * gives up about 10 s later). FreeLibrary at once; if the library were unmapped under that
 * thread, it would return into freed code within the 15 s this process then waits. */
static void mode_unload(void)
{
    char in[4096], env[32] = "";
    char *out = malloc(OUT_SIZE);
    if (out == NULL || MobileTrans == NULL)
        return;
    GetEnvironmentVariableA("ONETRANS_CONNECT_TIMEOUT_MS", env, sizeof env);
    check(strcmp(env, "1000") == 0, "ONETRANS_CONNECT_TIMEOUT_MS=1000 is set", env, NULL);
    push_msg_input(in, sizeof in, "http://onetrans-fault-matrix.invalid:9" PUSH_MSG, "UNLOAD-1", NAME_UTF8, APP_KEY);
    DWORD start = GetTickCount();
    const char *code = MobileTrans(in, out);
    DWORD ms = GetTickCount() - start;
    printf("     the call returned after %lu ms\n", (unsigned long)ms);
    check(is(code, "000100") && strstr(out, "DNS lookup timed out") && ms < 9000,
          "a host name whose resolver never answers: 000100 (DNS lookup timed out), well before the resolver gives up",
          code, out);
    check(FreeLibrary(Handle), "FreeLibrary right after the call", NULL, NULL);
    Handle = NULL;
    MobileTrans = NULL;
    printf("     after FreeLibrary OneTrans.dll is %s; waiting 15 s\n",
           GetModuleHandleA("OneTrans.dll") ? "still mapped (the lookup thread holds it)" : "unmapped");
    fflush(stdout);
    for (int i = 0; i < 15; i++)
        Sleep(1000);
    check(1, "the process lives on 15 s after FreeLibrary (the lookup thread ended safely)", NULL, NULL);
    check(load_library() && MobileTrans != NULL, "LoadLibrary(\"OneTrans.dll\") again", NULL, NULL);
    if (MobileTrans == NULL)
        return;
    code = MobileTrans("{not json", out);
    check(is(code, "000105"), "the library loaded again answers a call", code, out);
    free(out);
}

/* The child, in "his 医保": its DLL is the copy there, and the INI there is in force. */
static void mode_folder_child(void)
{
    char in[4096], url[512], path[MAX_PATH * 4];
    wchar_t wpath[MAX_PATH * 2];
    char *out = malloc(OUT_SIZE);
    if (out == NULL || MobileTrans == NULL)
        return;
    GetModuleFileNameW(Handle, wpath, MAX_PATH * 2);
    WideCharToMultiByte(CP_UTF8, 0, wpath, -1, path, sizeof path, NULL, NULL);
    printf("     loaded %s\n", path);
    check(wcsstr(wpath, L"\\" FOLDER L"\\OneTrans.dll") != NULL,
          "LoadLibrary(\"OneTrans.dll\") loaded the copy beside the program", NULL, path);

    url_for(url, sizeof url, NULL, PUSH_MSG);
    push_msg_input(in, sizeof in, url, "FOLDER-1", NAME_UTF8, APP_KEY);
    const char *code = MobileTrans(in, out);
    check(is(code, "000000"), "a call from the Chinese-named folder succeeds", code, out);

    /* readTimeoutMs=1500 comes from the INI beside the DLL (the default is 30000). */
    url_for(url, sizeof url, "slow=3000", PUSH_MSG);
    push_msg_input(in, sizeof in, url, "FOLDER-SLOW-1", NAME_UTF8, APP_KEY);
    DWORD start = GetTickCount();
    code = MobileTrans(in, out);
    DWORD ms = GetTickCount() - start;
    check(is(code, "000001") && ms >= 1400 && ms < 2900,
          "readTimeoutMs=1500 from the OneTrans.ini beside the DLL is in force", code, out);

    /* The call journal beside this copy of the DLL names the order whose outcome is unknown. */
    {
        wchar_t dir[MAX_PATH * 2];
        static const char *const records[] = {"\"medOrgOrd\":\"FOLDER-SLOW-1\"", "\"code\":\"000001\""};
        module_dir(Handle, dir, MAX_PATH * 2);
        check(journal_has(dir, records, 2), "the call journal beside the DLL in the Chinese-named folder names the unknown order",
              NULL, NULL);
    }
    free(out);
}

/* The VERSIONINFO string KEY of FILE (in the language of its first Translation), as UTF-8 into
 * BUF; 0 when the file has no such resource or string. GetFileVersionInfoW is what Explorer's
 * Details tab and installers read. */
static int version_string(const wchar_t *file, const wchar_t *key, char *buf, int size)
{
    DWORD handle = 0, length = GetFileVersionInfoSizeW(file, &handle);
    WORD *translation = NULL;
    wchar_t *value = NULL, query[128];
    UINT n = 0;
    void *info;
    int ok = 0;
    if (length == 0 || (info = malloc(length)) == NULL)
        return 0;
    if (GetFileVersionInfoW(file, 0, length, info) &&
        VerQueryValueW(info, L"\\VarFileInfo\\Translation", (void **)&translation, &n) && n >= 4) {
        swprintf(query, 128, L"\\StringFileInfo\\%04x%04x\\%ls", translation[0], translation[1], key);
        if (VerQueryValueW(info, query, (void **)&value, &n) && n > 0)
            ok = WideCharToMultiByte(CP_UTF8, 0, value, -1, buf, size, NULL, NULL) > 0;
    }
    free(info);
    return ok;
}

/* The DLL's OneTransVersion() and the VERSIONINFO resource of the DLL and of each file named
 * after the URL (the EXEs beside it) agree: FileVersion and ProductVersion are that version. */
static void mode_version(int argc, char **argv)
{
    wchar_t dll[MAX_PATH * 2], file[MAX_PATH * 2];
    char text[512], what[MAX_PATH * 4];
    const char *version = OneTransVersion ? OneTransVersion() : NULL;
    const wchar_t *keys[] = {L"FileVersion", L"ProductVersion"};
    check(version != NULL, "OneTransVersion", version, NULL);
    if (version == NULL)
        return;
    printf("     OneTransVersion() = %s\n", version);
    GetModuleFileNameW(Handle, dll, MAX_PATH * 2);
    for (int i = 2; i < argc; i++) {
        const wchar_t *path = dll;
        if (i > 2) {
            MultiByteToWideChar(CP_UTF8, 0, argv[i], -1, file, MAX_PATH * 2);
            path = file;
        }
        for (int k = 0; k < 2; k++) {
            int found = version_string(path, keys[k], text, sizeof text);
            snprintf(what, sizeof what, "%s: VERSIONINFO %ls = OneTransVersion()",
                     i > 2 ? argv[i] : "OneTrans.dll", keys[k]);
            check(found && strcmp(text, version) == 0, what, found ? text : "(none)", NULL);
        }
        if (version_string(path, L"FileDescription", text, sizeof text))
            printf("     FileDescription: %s\n", text);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s main|timeout|acp936|codes|folder|badini|panic|unload|version PORTAL_BASE_URL [EXE...]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    base_url = argv[2];
    InitializeCriticalSection(&count_lock);
    printf("--- %s (%d-bit)\n", mode, (int)sizeof(void *) * 8);

    if (strcmp(mode, "folder") == 0) {
        mode_folder();
    } else if (strcmp(mode, "panic") == 0) {
        mode_panic();
    } else if (strcmp(mode, "badini") == 0) {
        mode_badini();
    } else if (!load_library()) {
        failed++;
    } else if (strcmp(mode, "main") == 0) {
        mode_main();
    } else if (strcmp(mode, "version") == 0) {
        mode_version(argc, argv);
    } else if (strcmp(mode, "timeout") == 0) {
        mode_timeout();
    } else if (strcmp(mode, "acp936") == 0) {
        mode_acp936();
    } else if (strcmp(mode, "codes") == 0) {
        mode_codes();
    } else if (strcmp(mode, "unload") == 0) {
        mode_unload();
    } else if (strcmp(mode, "folder-child") == 0) {
        mode_folder_child();
    } else if (strcmp(mode, "badini-child") == 0) {
        mode_badini_child();
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    if (passed + failed == 0)
        failed++;
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed == 0 ? 0 : 1;
}
