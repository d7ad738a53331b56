/*
 * Calling OneTrans.dll the way the vendor's sample does: LoadLibrary + GetProcAddress through a
 * __stdcall function pointer. No header and no import library needed.
 *
 * Build (mingw):  i686-w64-mingw32-gcc -Wall -O2 -o loadlibrary.exe loadlibrary.c
 *        (MSVC):  cl /W4 loadlibrary.c
 * Run:            loadlibrary.exe http://127.0.0.1:PORT/api/amp/hos/pushMsg
 *                 (OneTrans.dll beside the .exe; the 32-bit DLL for a 32-bit program)
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library writes at most outBufSize bytes (OneTrans.ini, default 65536) into pOutData: raise
 * outBufSize only together with this buffer (and every other caller's), or use MobileTransEx. */
#define OUT_SIZE 65536

typedef char *(__stdcall *MobileTransFn)(char *pInData, char *pOutData);

int main(int argc, char **argv)
{
    const char *server = argc > 1 ? argv[1] : "http://127.0.0.1:8080/api/amp/hos/pushMsg";
    static char in_data[8192], out_data[OUT_SIZE];

    HMODULE handle = LoadLibraryA("OneTrans.dll");
    if (handle == NULL) {
        printf("LoadLibrary(\"OneTrans.dll\") failed: error %lu\n", GetLastError());
        return 1;
    }
    /* FARPROC to the real type (GCC's -Wextra warns about this cast; casting through
     * void (*)(void) says it is meant). */
    MobileTransFn MobileTrans = (MobileTransFn)(void (*)(void))GetProcAddress(handle, "MobileTrans");
    if (MobileTrans == NULL) {
        printf("GetProcAddress(\"MobileTrans\") failed: error %lu\n", GetLastError());
        return 1;
    }

    /* The input: the portal's address, appId, appKey and the business fields in "data".
     * The timestamp may be left empty: the library fills in the current China time. */
    snprintf(in_data, sizeof in_data,
             "{\"data\":{\"serverAddr\":\"%s\","
             "\"appId\":\"zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN\",\"appKey\":\"St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM\","
             "\"encryptType\":\"SM4\",\"signType\":\"SM3\",\"timestamp\":\"\",\"version\":\"1.0.0\","
             "\"medOrgOrd\":\"ZL050509083457355366\",\"orderStatus\":\"MERCHANT_WAIT_PAY\","
             "\"orgCode\":\"H46040100001\",\"patientName\":\"Zhou Dapeng\",\"idType\":\"02\","
             "\"idNo\":\"460029196507081627\",\"pushType\":\"HOSPITAL_PAYMENT\"},"
             "\"orgId\":\"H46010000000\"}",
             server);

    /* The returned code belongs to the library: read it, never free it. */
    const char *code = MobileTrans(in_data, out_data);
    printf("code:   %s\noutput: %s\n", code, out_data);

    /* "000000": the portal answered; then "code" in the output says whether the business call
     * succeeded (0). Anything else: see the codes in onetrans.h. */
    int ok = strcmp(code, "000000") == 0 && strstr(out_data, "\"code\":0") != NULL;

    /* Only now: the code string lives in the DLL and is gone once it is unloaded. Most programs
     * load the DLL once and never unload it. */
    FreeLibrary(handle);
    return ok ? 0 : 1;
}
